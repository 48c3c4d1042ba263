-- Each service owns one database; intake's is created by POSTGRES_DB.
CREATE DATABASE lineup_gateway OWNER lineup;
