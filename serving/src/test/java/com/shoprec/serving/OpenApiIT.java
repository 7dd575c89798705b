package com.shoprec.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code openapi.json} against the server: a valid OpenAPI 3.1 document (swagger-parser), one that describes every
 * route of the route table and {@link Compatibility} and nothing else, whose query parameters the server takes,
 * and whose response schemas real answers from a running server over the {@link Fixture} run validate against
 * (networknt's JSON Schema 2020-12 validator, the dialect of OpenAPI 3.1 schemas).
 */
class OpenApiIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private static Fixture f;
  private static JsonNode doc;
  private static String docUri;

  @BeforeAll
  static void start() throws Exception {
    f = new Fixture(Map.of());
    doc = MAPPER.readTree(OpenApiEndpoint.load());
    docUri = "classpath:" + OpenApiEndpoint.RESOURCE.substring(1);
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void theDocumentIsValidOpenApi31AndServedAsKept() throws Exception {
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(
        new String(OpenApiEndpoint.load(), StandardCharsets.UTF_8), null, null);
    assertEquals(List.of(), parsed.getMessages());
    assertEquals("3.1.0", parsed.getOpenAPI().getOpenapi());
    HttpResponse<byte[]> served = f.get("/openapi.json");
    assertEquals(200, served.statusCode());
    assertEquals(doc, MAPPER.readTree(served.body()));
  }

  @Test
  void everyRouteIsDescribedAndNothingElse() {
    Set<String> routes = new TreeSet<>();
    for (ShoprecServer.Endpoint e : ShoprecServer.ENDPOINTS) {
      routes.add(e.method() + " " + e.path());
    }
    for (Compatibility.Route r : Compatibility.ROUTES) {
      routes.add(r.method() + " " + r.path());
    }
    Set<String> described = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      path.getValue().fieldNames().forEachRemaining(method -> described.add(method.toUpperCase(Locale.ROOT) + " "
          + path.getKey()));
    }
    assertEquals(routes, described);
  }

  @Test
  void theServerTakesEveryDocumentedQueryParameter() throws Exception {
    Map<String, String> values = Map.ofEntries(Map.entry("limit", "1"), Map.entry("offset", "1"),
        Map.entry("page", "1"), Map.entry("page_size", "1"), Map.entry("exclude", "P9"),
        Map.entry("category", "Home & Garden"), Map.entry("segment", "LIGHT"), Map.entry("n", "1"),
        Map.entry("gender", "F"), Map.entry("age_band", "25-34"), Map.entry("region", "North"));
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      JsonNode get = path.getValue().get("get");
      if (get == null || get.get("parameters") == null) {
        continue;
      }
      String concrete = path.getKey().replace("{id}", path.getKey().contains("product") || path.getKey().contains(
          "similar-items") || path.getKey().contains("recommend/") ? "P1" : "12347");
      for (JsonNode p : get.get("parameters")) {
        JsonNode param = resolve(p);
        if (!"query".equals(param.get("in").asText())) {
          continue;
        }
        String name = param.get("name").asText();
        String query = "?" + name + "=" + URLEncoder.encode(values.get(name), StandardCharsets.UTF_8);
        HttpResponse<byte[]> r = f.get(concrete + query);
        assertNotEquals(400, r.statusCode(), concrete + query + ": " + Fixture.text(r));
        checked++;
      }
    }
    assertTrue(checked > 30, checked + " parameters checked");
  }

  @Test
  void realAnswersMatchTheirSchemas() throws Exception {
    record Call(String method, String template, String pathAndQuery, String body, int status) {}
    String basket = "{\"items\":[\"P1\",\"P2\"],\"limit\":3}";
    List<Call> calls = List.of(
        new Call("get", "/customers/{id}", "/customers/12347", null, 200),
        new Call("get", "/customers/{id}", "/customers/lapsed", null, 200),
        new Call("get", "/customers/{id}", "/customers/nobody", null, 404),
        new Call("get", "/customers/{id}", "/customers/12347?limit=1", null, 400),
        new Call("get", "/customers/{id}/recommendations", "/customers/12347/recommendations", null, 200),
        new Call("get", "/customers/{id}/recommendations", "/customers/12347/recommendations?limit=1&offset=1", null,
            200),
        new Call("get", "/customers/{id}/recommendations", "/customers/nobody/recommendations?page=1&page_size=1",
            null, 200),
        new Call("get", "/customers/{id}/recommendations", "/customers/12347/recommendations?limit=0", null, 400),
        new Call("get", "/weekly-recommendations/{id}", "/weekly-recommendations/12347?exclude=P1", null, 200),
        new Call("get", "/customers/{id}/similar", "/customers/12347/similar", null, 200),
        new Call("get", "/customers/{id}/similar", "/customers/nobody/similar", null, 404),
        new Call("get", "/products/{id}/similar", "/products/P1/similar?page=2&page_size=2", null, 200),
        new Call("get", "/products/{id}/audience", "/products/P1/audience", null, 200),
        new Call("get", "/popular", "/popular", null, 200),
        new Call("get", "/popular", "/popular?category=Home%20%26%20Garden", null, 200),
        new Call("get", "/popular", "/popular?segment=LIGHT&limit=1", null, 200),
        new Call("get", "/popular", "/popular?category=a&segment=b", null, 400),
        new Call("post", "/basket", "/basket", basket, 200),
        new Call("post", "/basket", "/basket", "{\"items\":[]}", 400),
        new Call("get", "/stats", "/stats", null, 200),
        new Call("get", "/health", "/health", null, 200),
        new Call("get", "/recommendations/{id}", "/recommendations/12347?n=2", null, 200),
        new Call("get", "/recommend/{id}", "/recommend/P1?n=1", null, 200),
        new Call("get", "/api/v1/popular-items", "/api/v1/popular-items?n=1", null, 200),
        new Call("get", "/api/v1/similar-items/{id}", "/api/v1/similar-items/P2?limit=2", null, 200),
        new Call("post", "/api/v1/basket-recommendations", "/api/v1/basket-recommendations", basket, 200),
        new Call("post", "/popular", "/popular", "{\"category\":\"Home & Garden\",\"page\":1,\"page_size\":1}", 200),
        new Call("post", "/personalized", "/personalized", "{\"user_id\":\"12347\",\"n\":2,\"exclude\":[\"P2\"]}", 200),
        new Call("post", "/personalized", "/personalized", "{\"page\":1}", 400));
    List<String> failures = new ArrayList<>();
    for (Call c : calls) {
      String what = c.method.toUpperCase(Locale.ROOT) + " " + c.pathAndQuery;
      int status;
      String body;
      if (c.body == null) {
        HttpResponse<byte[]> r = f.get(c.pathAndQuery);
        status = r.statusCode();
        body = Fixture.text(r);
      } else {
        HttpResponse<String> r = f.send("POST", c.pathAndQuery, c.body.getBytes(StandardCharsets.UTF_8));
        status = r.statusCode();
        body = r.body();
      }
      assertEquals(c.status, status, what + ": " + body);
      List<com.networknt.schema.Error> errors = schemaOf(c.template, c.method, status)
          .validate(body, InputFormat.JSON);
      if (!errors.isEmpty()) {
        failures.add(what + " -> " + errors + " in " + body);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void theSchemasRejectAnAnswerThatBreaksThem() throws Exception {
    ObjectNode answer = (ObjectNode) MAPPER.readTree(f.get("/customers/12347/recommendations").body());
    Schema schema = schemaOf("/customers/{id}/recommendations", "get", 200);
    assertEquals(List.of(), schema.validate(answer.toString(), InputFormat.JSON));
    ObjectNode withoutTotal = answer.deepCopy();
    withoutTotal.remove("total");
    assertFalse(schema.validate(withoutTotal.toString(), InputFormat.JSON).isEmpty(), "total is required");
    ObjectNode extra = answer.deepCopy();
    extra.put("surprise", 1);
    assertFalse(schema.validate(extra.toString(), InputFormat.JSON).isEmpty(), "no undocumented field");
    ObjectNode badScore = answer.deepCopy();
    ((ObjectNode) badScore.get("recommendations").get(0)).put("score", "high");
    assertFalse(schema.validate(badScore.toString(), InputFormat.JSON).isEmpty(), "a score is a number");
  }

  /** The JSON schema of the {@code status} answer of an operation, its references resolved in the document. */
  private static Schema schemaOf(String template, String method, int status) {
    String response = "/paths/" + escape(template) + "/" + method + "/responses/" + status;
    JsonNode node = doc.at(response);
    assertFalse(node.isMissingNode(), "openapi.json has no " + status + " answer for " + method + " " + template);
    if (node.has("$ref")) {
      response = node.get("$ref").asText().substring(1);
    }
    String schema = response + "/content/application~1json/schema";
    assertFalse(doc.at(schema).isMissingNode(), "no JSON schema at " + schema);
    return SCHEMAS.getSchema(SchemaLocation.of(docUri + "#" + schema));
  }

  private static JsonNode resolve(JsonNode node) {
    return node.has("$ref") ? doc.at(node.get("$ref").asText().substring(1)) : node;
  }

  /** A JSON pointer token: {@code ~} as {@code ~0}, {@code /} as {@code ~1}. */
  private static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }
}
