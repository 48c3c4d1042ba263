package dev.lineup.intake.workflow;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/** The body of {@code POST /v1/workflows/{name}/runs}. */
@Serdeable(naming = SnakeCaseStrategy.class)
@Schema(description = "A run: the hosts, a value for every input, and optionally the version.")
public record RunRequest(
    @Schema(
            description =
                "A UUID naming this run: the same run sent again answers the batch it made"
                    + " instead of running twice. It becomes the batch id.")
        @Nullable
        String runId,
    @Schema(description = "1 or more hosts; hosts x steps is at most 1000 (one batch).") @Nullable
        List<String> hostIds,
    @Schema(
            description = "A string for every input the version declares, and no other.",
            additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
        @Nullable
        Map<String, Object> inputs,
    @Schema(description = "The version to run; default the latest.") @Nullable Integer version) {}
