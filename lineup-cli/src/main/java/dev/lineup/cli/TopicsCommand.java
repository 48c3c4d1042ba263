package dev.lineup.cli;

import dev.lineup.schemas.TopicProvisioner;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lineup topics ...}: Lineup's topics on a cluster. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Lineup's topics on a Kafka cluster.",
    subcommands = {TopicsCommand.Provision.class})
final class TopicsCommand {

  /**
   * {@code lineup topics provision}: every topic Lineup uses, with one partition count; safe to run
   * on every deploy.
   */
  @Command(
      name = "provision",
      mixinStandardHelpOptions = true,
      description = {
        "Creates every Lineup topic that is missing, all with one partition count.",
        "Running it again changes nothing. It refuses, creating nothing, when an existing Lineup"
            + " topic has another partition count: that would split a host's records across"
            + " sequencer tasks."
      })
  static final class Provision implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--bootstrap-servers",
        defaultValue = "${env:LINEUP_KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
        description =
            "Kafka bootstrap servers (env LINEUP_KAFKA_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
        names = "--partitions",
        defaultValue = "${env:LINEUP_TOPICS_PARTITIONS:-12}",
        description =
            "Partitions of every topic (env LINEUP_TOPICS_PARTITIONS; default: ${DEFAULT-VALUE})."
                + " The most sequencer tasks that can share the work; it cannot change later"
                + " without moving the data.")
    int partitions;

    @Option(
        names = "--replication-factor",
        defaultValue = "${env:LINEUP_TOPICS_REPLICATION_FACTOR:--1}",
        description =
            "Replicas of each partition (env LINEUP_TOPICS_REPLICATION_FACTOR; default: the"
                + " brokers' default.replication.factor). 3 in production.")
    short replicationFactor;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (partitions < 1) {
        err.println("--partitions must be at least 1, not " + partitions);
        return 2;
      }
      if (replicationFactor == 0 || replicationFactor < -1) {
        err.println("--replication-factor must be at least 1 (or -1 for the brokers' default)");
        return 2;
      }
      try {
        var outcome = TopicProvisioner.provision(bootstrapServers, partitions, replicationFactor);
        outcome.created().forEach(t -> out.println("created " + t));
        outcome.existing().forEach(t -> out.println("exists  " + t));
        out.printf(
            "%d Lineup topics with %d partitions each: %d created, %d already there%n",
            outcome.created().size() + outcome.existing().size(),
            partitions,
            outcome.created().size(),
            outcome.existing().size());
        return 0;
      } catch (TopicProvisioner.PartitionMismatch e) {
        err.println("refused: " + e.getMessage());
        return LineupCli.REFUSED;
      } catch (ExecutionException e) {
        err.println("could not provision topics on " + bootstrapServers + ": " + e.getCause());
        return 1;
      }
    }
  }
}
