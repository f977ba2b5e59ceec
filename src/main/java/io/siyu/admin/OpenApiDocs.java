package io.siyu.admin;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document ({@code /v3/api-docs}) and Swagger UI ({@code /swagger-ui.html}) of the admin API.
 * Declares the bearer scheme so operators can paste their token under "Authorize" and try calls.
 */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(
    info = @Info(title = "Siyu admin API", version = "v1",
        description = "GET/HEAD need a viewer or operator token, everything else an operator token"
            + " (siyu.admin.tokens). Errors are RFC 9457 problems with type urn:siyu:problem:<slug>."),
    security = @SecurityRequirement(name = OpenApiDocs.BEARER))
@SecurityScheme(name = OpenApiDocs.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer",
    description = "An admin token from siyu.admin.tokens (SIYU_ADMIN_OPERATOR_TOKEN / SIYU_ADMIN_VIEWER_TOKEN)")
class OpenApiDocs {
  static final String BEARER = "bearer";
}
