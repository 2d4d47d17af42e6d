// SunPKCS11 client test for akis-pkcs11 (issue 5, R36): loads the module
// through a SunPKCS11 configuration, logs in to the PKCS11 KeyStore and, for
// every private-key entry, signs 4 KiB of random data with SHA256withRSA or
// SHA256withECDSA through the token and verifies the signature with the
// entry's certificate using the JDK's own (software) providers.
//
//   java -cp DIR SignTest CONFIG PIN
// One line per key entry:
//   RESULT <sha256 of the certificate, hex> OK|FAIL <algorithm> <alias> [exception]
// Exit status 0 when every entry passed, 1 otherwise (a failure is reported,
// never a crash).
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HexFormat;

public final class SignTest {
    private SignTest() { }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SignTest CONFIG PIN");
            System.exit(2);
        }
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray());
        int entries = 0;
        int failed = 0;
        for (String alias : Collections.list(ks.aliases())) {
            if (!ks.isKeyEntry(alias)) {
                continue;
            }
            entries++;
            if (!signOne(p, ks, alias)) {
                failed++;
            }
        }
        System.out.println("SUMMARY " + entries + " key entries, " + failed + " failed");
        System.exit(entries > 0 && failed == 0 ? 0 : 1);
    }

    private static boolean signOne(Provider p, KeyStore ks, String alias) throws Exception {
        X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
        String fp = cert == null ? "-"
            : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        String alg = "?";
        try {
            PrivateKey key = (PrivateKey) ks.getKey(alias, null);
            alg = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
            byte[] data = new byte[4096];
            new SecureRandom().nextBytes(data);
            Signature s = Signature.getInstance(alg, p);
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            // verify in software, not on the token
            Signature v = Signature.getInstance(alg);
            if (v.getProvider() == p) {
                throw new IllegalStateException("verifier is the token provider");
            }
            v.initVerify(cert.getPublicKey());
            v.update(data);
            boolean ok = v.verify(sig);
            System.out.println("RESULT " + fp + " " + (ok ? "OK " : "FAIL ") + alg + " " + alias
                + (ok ? "" : " signature does not verify"));
            return ok;
        } catch (Exception e) {
            Throwable c = e;
            StringBuilder why = new StringBuilder();
            while (c != null) {
                why.append(" ").append(c.getClass().getName()).append(": ").append(c.getMessage());
                c = c.getCause();
            }
            System.out.println("RESULT " + fp + " FAIL " + alg + " " + alias + why);
            return false;
        }
    }
}
