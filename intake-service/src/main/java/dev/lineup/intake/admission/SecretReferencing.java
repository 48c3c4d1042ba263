package dev.lineup.intake.admission;

import dev.lineup.avro.Activity;
import dev.lineup.intake.secret.SecretScan;
import dev.lineup.intake.secret.Secrets;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Records, before an admitted activity is published, which secrets its scripts reference, so that a
 * secret an unfinished activity needs cannot be deleted from under it.
 */
@Singleton
public final class SecretReferencing {

  private final SecretScan scan;
  private final Secrets secrets;

  public SecretReferencing(SecretScan scan, Secrets secrets) {
    this.scan = scan;
    this.secrets = secrets;
  }

  /**
   * Records the references of {@code activities}; answers the secrets among them deleted since the
   * activities were validated (then nothing is recorded, and they must not be enqueued).
   */
  public Set<String> record(List<Activity> activities) throws SQLException {
    List<String> ids = new ArrayList<>();
    List<Set<String>> names = new ArrayList<>();
    for (Activity a : activities) {
      Set<String> referenced = scan.names(a);
      if (!referenced.isEmpty()) {
        ids.add(a.getActivityId());
        names.add(referenced);
      }
    }
    return ids.isEmpty() ? Set.of() : secrets.recordReferences(ids, names);
  }

  /** The 409 for an enqueue whose secrets were deleted while it was admitted. */
  public static dev.lineup.service.problem.ApiException deleted(Set<String> names) {
    return dev.lineup.service.problem.ApiException.conflict(
        "secrets were deleted while the request was admitted: "
            + String.join(", ", names)
            + "; nothing was enqueued");
  }
}
