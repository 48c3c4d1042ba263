-- Workflow templates (CONTRACT.md, Workflows): every change is a new version; old versions stay
-- readable, and a run names the version it expanded.
CREATE TABLE workflows (
    name        text        NOT NULL,
    version     integer     NOT NULL,
    -- The definition as PUT: description, inputs and steps.
    definition  jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);
