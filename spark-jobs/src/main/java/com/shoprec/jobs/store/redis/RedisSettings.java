package com.shoprec.jobs.store.redis;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.Section;
import com.shoprec.jobs.config.SettingsException;
import java.io.Serializable;

/** {@code shoprec.redis}: where the job publishes, the key prefix, expiry, pipelining and retention. */
public record RedisSettings(String url, String passwordEnv, String passwordFile, String namespace, int ttlDays,
    int pipelineBatch, int timeoutMillis, int keepRuns) implements Serializable {

  public static RedisSettings from(Section s) {
    RedisSettings r = new RedisSettings(s.nonEmpty("url"), s.string("password-env"), s.optString("password-file"),
        s.string("namespace"), s.atLeast("ttl-days", 1), s.atLeast("pipeline-batch", 1),
        s.atLeast("timeout-millis", 1), s.atLeast("keep-runs", 1));
    if (!r.url().startsWith("redis://") && !r.url().startsWith("rediss://")) {
      throw new SettingsException(s.name("url") + " must start with redis:// or rediss://, got "
          + JobSettings.mask(r.url()));
    }
    return r;
  }
}
