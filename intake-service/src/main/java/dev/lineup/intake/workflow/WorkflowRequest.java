package dev.lineup.intake.workflow;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/** The body of {@code PUT /v1/workflows/{name}}: what a workflow's every run expands. */
@Serdeable(naming = SnakeCaseStrategy.class)
@Schema(description = "A workflow template: its inputs and its steps.")
public record WorkflowRequest(
    @Schema(maxLength = 1024) @Nullable String description,
    @Schema(description = "The names `${inputs.<name>}` may use in a step's strings; at most 50.")
        @Nullable
        List<String> inputs,
    @Schema(
            description =
                "1 to 100 steps: each `name`, `type`, `payload`, `depends_on` (step names) and any"
                    + " enqueue field but `activity_id`.")
        @Nullable
        List<Map<String, Object>> steps) {}
