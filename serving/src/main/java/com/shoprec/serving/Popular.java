package com.shoprec.serving;

import static com.shoprec.serving.http.ApiException.checkArgument;

import com.shoprec.common.Ids;
import com.shoprec.common.PayloadKind;
import com.shoprec.common.RedisKeys.PopularScope;
import io.undertow.server.HttpServerExchange;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code GET /popular}: the most popular products overall; {@code ?category=c} within a category;
 * {@code ?segment=s} among a customer segment (e.g. {@code LIGHT}). As stored under
 * {@code popular:{run}:all}, {@code popular:{run}:category:{c}} or {@code popular:{run}:segment:{s}}.
 *
 * <p>Parameters: {@code category} or {@code segment} (not both), and the paging ones of every list
 * ({@link PayloadEndpoint}). Answers: 200; 304; 400 for both scopes at once, an invalid name or parameter; 404
 * when there is no list for that scope; 503 when Redis is unreachable or no run is live.
 */
final class Popular extends PayloadEndpoint {

  private static final Set<String> PARAMETERS = Stream.concat(PAGE_PARAMETERS.stream(),
      Stream.of("category", "segment")).collect(Collectors.toUnmodifiableSet());

  Popular(Serving serving) {
    super(serving, PayloadKind.POPULAR, "popular list");
  }

  @Override
  Set<String> parameters() {
    return PARAMETERS;
  }

  @Override
  String subject(HttpServerExchange exchange) {
    String category = queryParam(exchange, "category");
    String segment = queryParam(exchange, "segment");
    checkArgument(category == null || segment == null, "give category or segment, not both");
    if (category != null) {
      checkArgument(Ids.isValid(category), "invalid category");
      return PopularScope.category(category);
    }
    if (segment != null) {
      checkArgument(Ids.isValid(segment), "invalid segment");
      return PopularScope.segment(segment);
    }
    return PopularScope.all();
  }
}
