package dev.lineup.service.secrets;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens secret values with AES-256-GCM under the installation's secrets key ({@code
 * LINEUP_SECRETS_KEY}: 32 bytes, base64). Each value gets a fresh 12-byte nonce, and the secret's
 * name is the associated data, so a sealed value moved to another name does not open. Intake seals
 * at {@code PUT /v1/secrets/{name}} and never opens; the gateway opens at delivery.
 */
public final class SecretBox {

  /** A sealed value: the nonce and the ciphertext with its tag. */
  public record Sealed(byte[] nonce, byte[] ciphertext) {}

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private SecretBox(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /**
   * The box for a configured key; empty config means no box (secrets are then refused). A key that
   * is not 32 bytes of base64 fails the start: a misconfigured key must not look like "no key".
   */
  public static java.util.Optional<SecretBox> of(String base64Key) {
    if (base64Key == null || base64Key.isBlank()) {
      return java.util.Optional.empty();
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("lineup.secrets-key (LINEUP_SECRETS_KEY) is not base64");
    }
    if (key.length != 32) {
      throw new IllegalArgumentException(
          "lineup.secrets-key (LINEUP_SECRETS_KEY) must be 32 bytes (base64 of 32 random bytes),"
              + " not "
              + key.length);
    }
    return java.util.Optional.of(new SecretBox(key));
  }

  public Sealed seal(String name, String value) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(name.getBytes(StandardCharsets.UTF_8));
      return new Sealed(nonce, cipher.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** The value; an exception if it was sealed under another key or name, or altered. */
  public String open(String name, Sealed sealed) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed.nonce()));
    cipher.updateAAD(name.getBytes(StandardCharsets.UTF_8));
    return new String(cipher.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
  }
}
