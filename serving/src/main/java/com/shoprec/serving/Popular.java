package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.checkArgument;

import com.shoprec.common.Ids;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys.PopularScope;
import io.undertow.server.HttpServerExchange;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code GET /popular}: the most popular products overall; {@code ?category=c} within a category;
 * {@code ?segment=s} among a customer segment (e.g. {@code LIGHT}); {@code ?gender=}, {@code ?age_band=} or
 * {@code ?region=} among the customers with that value (with the batch's {@code --customers} file). As stored under
 * {@code popular:{run}:all}, {@code popular:{run}:category:{c}}, {@code popular:{run}:segment:{s}} or
 * {@code popular:{run}:{attribute}:{value}}.
 *
 * <p>Parameters: at most one of those scopes, and the paging ones of every list ({@link PayloadEndpoint}).
 * Answers: 200; 304; 400 for two scopes at once, an invalid name or parameter; 404 when there is no list for that
 * scope; 503 when Redis is unreachable or no run is live.
 */
final class Popular extends PayloadEndpoint {

  /** The scopes a request may name, in the order the error message lists them. */
  static final List<String> SCOPES = List.of("category", "segment", "gender", "age_band", "region");

  private static final Set<String> PARAMETERS = Stream.concat(PAGE_PARAMETERS.stream(), SCOPES.stream())
      .collect(Collectors.toUnmodifiableSet());

  Popular(Serving serving) {
    super(serving, PayloadKind.POPULAR, "popular list");
  }

  @Override
  Set<String> parameters() {
    return PARAMETERS;
  }

  @Override
  String subject(HttpServerExchange exchange) {
    String scope = null;
    String value = null;
    for (String name : SCOPES) {
      String v = queryParam(exchange, name);
      if (v != null) {
        checkArgument(scope == null, "give one of " + String.join(", ", SCOPES) + ", not " + scope + " and " + name);
        checkArgument(Ids.isValid(v), "invalid " + name);
        scope = name;
        value = v;
      }
    }
    if (scope == null) {
      return PopularScope.all();
    }
    return switch (scope) {
      case "category" -> PopularScope.category(value);
      case "segment" -> PopularScope.segment(value);
      default -> PopularScope.attribute(scope, value);
    };
  }
}
