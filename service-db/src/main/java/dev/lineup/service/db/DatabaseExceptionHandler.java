package dev.lineup.service.db;

import dev.lineup.service.kafka.Failures;
import dev.lineup.service.problem.Problem;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database failure on an API call: 503 with {@code Retry-After} while PostgreSQL is away (the
 * caller retries, as after any 503), and a logged 500 otherwise (a bug: intake refuses values
 * PostgreSQL would, rule 16). The database's own message is never shown to the caller.
 */
@Singleton
public final class DatabaseExceptionHandler
    implements ExceptionHandler<SQLException, HttpResponse<Problem>> {

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseExceptionHandler.class);

  @Override
  public HttpResponse<Problem> handle(HttpRequest request, SQLException exception) {
    if (Failures.isTransient(exception)) {
      return Problem.retryLater(
          "Database unavailable", "the service's database cannot be reached: try again");
    }
    LOG.error("{} {} failed", request.getMethod(), request.getPath(), exception);
    return HttpResponse.<Problem>status(HttpStatus.INTERNAL_SERVER_ERROR)
        .body(
            Problem.of(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "an internal error occurred; it has been logged",
                List.of()))
        .contentType(Problem.MEDIA_TYPE);
  }
}
