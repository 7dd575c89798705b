package com.shoprec.jobs.eval;

import com.shoprec.jobs.config.Section;
import com.shoprec.jobs.config.SettingsException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code shoprec.job.evaluation}: which methods {@code --evaluate} measures, and the named variants of the model
 * suite they may be measured with.
 *
 * <p>A variant is a set of ordinary {@code shoprec.job} keys, written relative to {@code shoprec.job}
 * ({@code discovery.ease-weight = 0.7}); the method {@code discovery@NAME} is then measured with every model
 * built from the settings with the variant's keys on top. No other syntax names a model's parameters. Variants
 * are trained only when a method names them.
 *
 * @param methods  the methods to measure, each {@code METHOD} or {@code METHOD@VARIANT}; empty: the default set
 * @param variants each variant's keys, as full {@code shoprec.job.…} paths to their values, in their order
 */
public record EvaluationSettings(List<String> methods, Map<String, Map<String, Object>> variants)
    implements Serializable {

  /** The separator of a method and its variant: {@code weekly@share-0.35}. */
  public static final String AT = "@";

  public static EvaluationSettings from(Section s) {
    Config reference = ConfigFactory.defaultReference();
    Map<String, Map<String, Object>> variants = new LinkedHashMap<>();
    Section section = s.section("variants");
    for (String name : section.config().root().keySet()) {
      String where = section.name(quoted(name));
      ConfigValue value = section.config().root().get(name);
      if (value.valueType() != ConfigValueType.OBJECT) {
        throw new SettingsException(where + " must be an object of shoprec.job keys, e.g. { discovery.ease-weight = 0.7 }");
      }
      if (name.contains(AT) || name.isBlank()) {
        throw new SettingsException(where + ": a variant's name must not be blank or contain " + AT);
      }
      Map<String, Object> keys = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> e : section.config().getConfig(quoted(name)).entrySet()) {
        String key = "shoprec.job." + e.getKey();
        if (!reference.hasPath(key) || key.startsWith("shoprec.job.evaluation.")) {
          throw new SettingsException(where + ": unknown key " + e.getKey() + " (a variant sets shoprec.job keys"
              + " other than evaluation.*, written without the shoprec.job. prefix)");
        }
        keys.put(key, e.getValue().unwrapped());
      }
      if (keys.isEmpty()) {
        throw new SettingsException(where + " sets no key");
      }
      variants.put(name, Map.copyOf(keys));
    }
    List<String> methods = s.strings("methods");
    for (String method : methods) {
      int at = method.indexOf(AT);
      if (at >= 0 && !variants.containsKey(method.substring(at + 1))) {
        throw new SettingsException(s.name("methods") + ": " + method + " names the variant \""
            + method.substring(at + 1) + "\", which " + s.name("variants") + " does not define"
            + (variants.isEmpty() ? "" : " (it defines " + variants.keySet() + ")"));
      }
    }
    return new EvaluationSettings(methods, Map.copyOf(variants));
  }

  /** A variant's keys as configuration, to lay over the settings. */
  public Config variant(String name) {
    Map<String, Object> keys = variants.get(name);
    if (keys == null) {
      throw new SettingsException("shoprec.job.evaluation.variants: no variant \"" + name + "\"");
    }
    return ConfigFactory.parseMap(keys, "shoprec.job.evaluation.variants." + name);
  }

  private static String quoted(String name) {
    return com.typesafe.config.ConfigUtil.joinPath(name);
  }
}
