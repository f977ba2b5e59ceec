package io.siyu.wecom;

import java.io.IOException;
import me.chanjar.weixin.common.util.http.apache.ApacheHttpClientBuilder;
import org.apache.http.client.HttpRequestRetryHandler;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.config.SocketConfig;
import org.apache.http.conn.ConnectionKeepAliveStrategy;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;

/**
 * The one Apache HttpClient every app's WxJava service uses, sized to the call bound and with our timeouts.
 * Hand-written because WxJava's {@code DefaultApacheHttpClientBuilder} is a JVM-wide singleton (10
 * connections per route, never closed, shared across application contexts) and trusts every certificate.
 * WxJava's proxy setters are accepted and ignored: Siyu configures no proxy through WxJava.
 */
final class WecomHttpClient implements ApacheHttpClientBuilder, AutoCloseable {

  private final PoolingHttpClientConnectionManager pool;
  private final CloseableHttpClient client;

  WecomHttpClient(WecomClientProperties props) {
    int readMs = Math.toIntExact(props.readTimeout().toMillis());
    int connectMs = Math.toIntExact(props.connectTimeout().toMillis());
    pool = new PoolingHttpClientConnectionManager();
    // Every call goes to one host; the scheduler already bounds calls, the pool only must not be tighter.
    pool.setMaxTotal(props.maxConcurrentCalls() + 2);
    pool.setDefaultMaxPerRoute(props.maxConcurrentCalls() + 2);
    pool.setDefaultSocketConfig(SocketConfig.custom().setSoTimeout(readMs).build());
    pool.setValidateAfterInactivity(2_000);
    client = HttpClients.custom()
        .setConnectionManager(pool)
        .setDefaultRequestConfig(RequestConfig.custom()
            .setConnectTimeout(connectMs)
            .setSocketTimeout(readMs)
            .setConnectionRequestTimeout(connectMs)
            .build())
        .disableAutomaticRetries()
        .evictIdleConnections(60, java.util.concurrent.TimeUnit.SECONDS)
        .evictExpiredConnections()
        .build();
  }

  @Override
  public CloseableHttpClient build() {
    return client;
  }

  @Override
  public void close() throws IOException {
    client.close();
    pool.close();
  }

  @Override
  public ApacheHttpClientBuilder httpProxyHost(String httpProxyHost) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder httpProxyPort(int httpProxyPort) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder httpProxyUsername(String httpProxyUsername) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder httpProxyPassword(String httpProxyPassword) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder httpRequestRetryHandler(HttpRequestRetryHandler handler) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder keepAliveStrategy(ConnectionKeepAliveStrategy keepAliveStrategy) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder sslConnectionSocketFactory(SSLConnectionSocketFactory factory) {
    return this;
  }

  @Override
  public ApacheHttpClientBuilder supportedProtocols(String[] supportedProtocols) {
    return this;
  }
}
