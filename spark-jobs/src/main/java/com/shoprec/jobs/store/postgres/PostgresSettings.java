package com.shoprec.jobs.store.postgres;

import com.shoprec.jobs.config.JobSettings;
import com.shoprec.jobs.config.Section;
import com.shoprec.jobs.config.SettingsException;
import java.io.Serializable;

/** {@code shoprec.postgres}: the results database and how many completed runs keep their rows. */
public record PostgresSettings(String url, String user, String passwordEnv, String passwordFile, int keepRuns)
    implements Serializable {

  public static PostgresSettings from(Section s) {
    PostgresSettings p = new PostgresSettings(s.nonEmpty("url"), s.optString("user"), s.string("password-env"),
        s.optString("password-file"), s.atLeast("keep-runs", 1));
    if (!p.url().startsWith("jdbc:postgresql:")) {
      throw new SettingsException(s.name("url") + " must be a jdbc:postgresql: URL, got " + JobSettings.mask(p.url()));
    }
    return p;
  }
}
