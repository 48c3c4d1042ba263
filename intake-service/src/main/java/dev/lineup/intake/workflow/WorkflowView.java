package dev.lineup.intake.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One version of a workflow, as the workflow API answers it. */
@Serdeable(naming = SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record WorkflowView(
    String name,
    int version,
    @Nullable String description,
    List<String> inputs,
    @Schema(description = "The steps as defined, `${inputs.x}` not yet replaced.", type = "array")
        List<Map<String, Object>> steps,
    Instant createdAt) {}
