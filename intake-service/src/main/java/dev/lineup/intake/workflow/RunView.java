package dev.lineup.intake.workflow;

import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;

/**
 * What a run answers: the batch it made (follow it with {@code GET /v1/batches/{batch_id}}) and the
 * version it was pinned to.
 */
@Serdeable(naming = SnakeCaseStrategy.class)
public record RunView(String batchId, String workflow, int version, int hosts, int activities) {}
