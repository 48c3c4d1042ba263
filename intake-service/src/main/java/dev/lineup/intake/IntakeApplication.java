package dev.lineup.intake;

import io.micronaut.runtime.Micronaut;

/** Runs intake on its own; settings in application-intake.yml. */
public final class IntakeApplication {

  public static final String ENVIRONMENT = "intake";

  private IntakeApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
