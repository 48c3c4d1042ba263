/**
 * The executor gateway: hands released activities to the MDM, script and installer channels. Its
 * beans load only in the {@code gateway} environment (see the sequencer's package-info).
 */
@Configuration
@Requires(env = "gateway")
package dev.lineup.gateway;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
