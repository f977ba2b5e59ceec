package io.siyu.sandbox;

import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * WeCom's API surface, {@code /sandbox/wecom/cgi-bin/<api>}, as WxJava reaches it through
 * {@code setBaseApiUrl}. Answers are always HTTP 200 with WeCom's {@code errcode}/{@code errmsg} JSON.
 */
@RestController
@SandboxOnly
class SandboxApiController {

  static final String PREFIX = "/sandbox/wecom/cgi-bin/";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final SandboxWecom wecom;
  private final JsonMapper json;

  SandboxApiController(SandboxWecom wecom, JsonMapper json) {
    this.wecom = wecom;
    this.json = json;
  }

  @RequestMapping(path = PREFIX + "**", method = {RequestMethod.GET, RequestMethod.POST},
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> call(ServerHttpRequest request, @RequestBody(required = false) String body) {
    String api = request.getPath().pathWithinApplication().value().substring(PREFIX.length());
    Map<String, Object> parsed;
    try {
      parsed = body == null || body.isBlank() ? Map.of() : json.readValue(body, MAP);
    } catch (JacksonException notJson) {
      // WeCom's answer to an unparsable body.
      return Mono.just(Map.of("errcode", 47001, "errmsg", "data format error"));
    }
    Map<String, Object> answer = wecom.handle(api, request.getQueryParams().toSingleValueMap(), parsed);
    var latency = wecom.latency(api);
    return latency.isZero() ? Mono.just(answer) : Mono.delay(latency).thenReturn(answer);
  }
}
