package com.shoprec.jobs.input;

import com.shoprec.jobs.config.Section;
import java.io.Serializable;

/**
 * {@code shoprec.job.catalog}: the optional product catalog; {@code path} null when there is none.
 * {@code nameColumn}: the column of product names (or descriptions), used when the file has it.
 */
public record CatalogSettings(String path, String productIdColumn, String categoryColumn, String nameColumn)
    implements Serializable {

  public static CatalogSettings from(Section s) {
    return new CatalogSettings(s.optString("path"), s.nonEmpty("columns.product-id"), s.nonEmpty("columns.category"),
        s.nonEmpty("columns.name"));
  }
}
