package com.shoprec.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away self-signed certificate for {@code 127.0.0.1} (subject alternative name IP:127.0.0.1, so
 * that host name verification passes), made with the JDK's {@code keytool}, for TLS tests against the
 * embedded Redis ({@code tls-cert-file}) and Postgres ({@code ssl_cert_file}).
 *
 * @param certPem the certificate, PEM (also the CA file clients trust: it signs itself)
 * @param keyPem its private key, PKCS#8 PEM, readable by the owner only (Postgres insists)
 * @param trustStore a PKCS12 trust store holding the certificate, for {@code -Djavax.net.ssl.trustStore}
 * @param trustStorePassword the trust store's password (a test value, not a secret)
 */
public record TestCertificates(Path certPem, Path keyPem, Path trustStore, String trustStorePassword) {

  private static final String STORE_PASSWORD = "changeit";

  /** Creates the certificate, key and trust store under {@code dir}. */
  public static TestCertificates create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path keyStore = dir.resolve("server.p12");
    Files.deleteIfExists(keyStore);
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "RSA",
        "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", STORE_PASSWORD,
        "-keypass", STORE_PASSWORD).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool", e);
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keyStore)) {
        ks.load(in, STORE_PASSWORD.toCharArray());
      }
      Key key = ks.getKey("server", STORE_PASSWORD.toCharArray());
      Certificate cert = ks.getCertificate("server");
      Path certPem = dir.resolve("server.crt");
      Path keyPem = dir.resolve("server.key");
      Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
      Files.deleteIfExists(keyPem);
      Files.createFile(keyPem, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("server", cert);
      Path trustStore = dir.resolve("truststore.p12");
      try (OutputStream out = Files.newOutputStream(trustStore)) {
        trust.store(out, STORE_PASSWORD.toCharArray());
      }
      return new TestCertificates(certPem, keyPem, trustStore, STORE_PASSWORD);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot export the test certificate: " + e.getMessage(), e);
    }
  }

  /** JVM flags that make a child JVM trust the certificate. */
  public java.util.List<String> trustFlags() {
    return java.util.List.of("-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Djavax.net.ssl.trustStorePassword=" + trustStorePassword);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
