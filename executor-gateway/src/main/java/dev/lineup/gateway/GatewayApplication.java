package dev.lineup.gateway;

import io.micronaut.runtime.Micronaut;

/** Runs the gateway on its own; settings in application-gateway.yml. */
public final class GatewayApplication {

  public static final String ENVIRONMENT = "gateway";

  private GatewayApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
