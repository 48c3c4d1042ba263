package dev.lineup.intake.api;

import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.ledger.SummaryView;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

/** {@code GET /v1/summary}: counts by type and state, from the ledger. */
@Controller("/v1/summary")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class SummaryController {

  private final Ledger ledger;

  public SummaryController(Ledger ledger) {
    this.ledger = ledger;
  }

  @Get
  public SummaryView summary() throws Exception {
    return new SummaryView(ledger.summary());
  }
}
