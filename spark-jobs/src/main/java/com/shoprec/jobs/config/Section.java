package com.shoprec.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One section of the configuration ({@code shoprec.job.als}, say) with its path, so that a component reads its
 * own keys by their short names and every error names the full key: {@code shoprec.job.als.rank must be at least
 * 1, got 0}. Each component's settings record has a {@code from(Section)} that reads and checks its keys here;
 * {@link JobSettings} only composes them.
 */
public final class Section {

  private final Config config;
  private final String path;

  Section(Config config, String path) {
    this.config = config;
    this.path = path;
  }

  /** The section below this one, e.g. {@code section("columns")} of {@code shoprec.job.input}. */
  public Section section(String key) {
    return new Section(get(() -> config.getConfig(key), key), name(key));
  }

  /** The full name of {@code key}, for messages. */
  public String name(String key) {
    return path + "." + key;
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  public int atLeast(String key, int min) {
    int value = get(() -> config.getInt(key), key);
    if (value < min) {
      throw new SettingsException(name(key) + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  public int between(String key, int min, int max) {
    int value = get(() -> config.getInt(key), key);
    if (value < min || value > max) {
      throw new SettingsException(name(key) + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** A number from 0 to 1. */
  public double fraction(String key) {
    double value = get(() -> config.getDouble(key), key);
    if (!(value >= 0 && value <= 1)) {
      throw new SettingsException(name(key) + " must be between 0 and 1, got " + value);
    }
    return value;
  }

  public double positive(String key) {
    double value = get(() -> config.getDouble(key), key);
    if (!(value > 0)) {
      throw new SettingsException(name(key) + " must be positive, got " + value);
    }
    return value;
  }

  public double nonNegative(String key) {
    double value = get(() -> config.getDouble(key), key);
    if (!(value >= 0)) {
      throw new SettingsException(name(key) + " must not be negative, got " + value);
    }
    return value;
  }

  public long nonNegativeLong(String key) {
    long value = get(() -> config.getLong(key), key);
    if (value < 0) {
      throw new SettingsException(name(key) + " must not be negative, got " + value);
    }
    return value;
  }

  public long getLong(String key) {
    return get(() -> config.getLong(key), key);
  }

  public double getDouble(String key) {
    return get(() -> config.getDouble(key), key);
  }

  public boolean getBoolean(String key) {
    return get(() -> config.getBoolean(key), key);
  }

  /** The string, as it is (blank allowed). */
  public String string(String key) {
    return get(() -> config.getString(key), key);
  }

  public List<String> strings(String key) {
    return List.copyOf(get(() -> config.getStringList(key), key));
  }

  /** The string, or null when the key is absent, null or blank. */
  public String optString(String key) {
    if (!config.hasPath(key)) {
      return null;
    }
    String v = string(key);
    return v.isBlank() ? null : v;
  }

  public String nonEmpty(String key) {
    String v = optString(key);
    if (v == null) {
      throw new SettingsException(name(key) + " must not be empty");
    }
    return v;
  }

  /** One of {@code type}'s constants, named in any case ({@code "auto"} for {@code AUTO}). */
  public <E extends Enum<E>> E oneOf(Class<E> type, String key) {
    String value = string(key);
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(name(key) + " must be one of "
          + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT) + ", got \"" + value + "\"");
    }
  }

  /** Raw access, for what the typed readers above do not cover (say, a map of names). */
  public Config config() {
    return config;
  }

  /** A missing or mistyped key becomes a {@link SettingsException} naming it. */
  private <T> T get(java.util.function.Supplier<T> read, String key) {
    try {
      return read.get();
    } catch (ConfigException.Missing e) {
      throw new SettingsException(name(key) + " is missing", e);
    } catch (ConfigException e) {
      throw new SettingsException(name(key) + ": " + e.getMessage(), e);
    }
  }
}
