/**
 * The intake service: the API upstream services use. Its beans load only in the {@code intake}
 * environment (see the sequencer's package-info for why).
 */
@Configuration
@Requires(env = "intake")
package dev.lineup.intake;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
