package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.avro.Selector;
import dev.lineup.avro.SoftwareInstallPayload;
import dev.lineup.avro.SoftwareUninstallPayload;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which activities a selector cancel takes: every field the selector gives must match. A type
 * matches its own; an installer id matches the installs and uninstalls of that installer; a script
 * matches script runs of it and the installs and uninstalls that run it.
 */
final class Selectors {

  private Selectors() {}

  /** The payload is read only if the selector needs it (it names an installer or a script). */
  static boolean matches(Selector selector, ActivityType type, Supplier<Object> payload) {
    if (selector.getType() != null && selector.getType() != type) {
      return false;
    }
    if (selector.getInstallerId() == null && selector.getScriptSha256() == null) {
      return true;
    }
    Object read = payload.get();
    if (selector.getInstallerId() != null && !selector.getInstallerId().equals(installerOf(read))) {
      return false;
    }
    return selector.getScriptSha256() == null
        || scriptsOf(read).contains(selector.getScriptSha256());
  }

  private static String installerOf(Object payload) {
    if (payload instanceof SoftwareInstallPayload install) {
      return install.getInstallerId();
    }
    if (payload instanceof SoftwareUninstallPayload uninstall) {
      return uninstall.getInstallerId();
    }
    return null;
  }

  private static Set<String> scriptsOf(Object payload) {
    Set<String> scripts = new HashSet<>();
    if (payload instanceof ScriptRunPayload script) {
      scripts.add(script.getScriptSha256());
    } else if (payload instanceof SoftwareInstallPayload install) {
      scripts.add(install.getInstallScriptSha256());
      scripts.add(install.getPostInstallScriptSha256());
      scripts.add(install.getUninstallScriptSha256());
    } else if (payload instanceof SoftwareUninstallPayload uninstall) {
      scripts.add(uninstall.getUninstallScriptSha256());
    }
    scripts.remove(null);
    return scripts;
  }
}
