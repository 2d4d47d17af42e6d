// E-seal (Mali Mühür) signing loop through SunPKCS11 (issue 13, R48): the
// way e-invoice server software uses an e-seal card. One KeyStore login
// (CKU_USER, once), then COUNT invoice hashes signed with SHA384withECDSA by
// the key whose alias ends in "SIGN0", each signature verified at once with
// the entry's certificate by the JDK's software provider.
//
//   java -cp DIR SealLoop CONFIG PIN COUNT
// Prints:
//   ENTRY <alias> <PrivateKeyEntry|other>       every keystore entry
//   SIGNED <n> VERIFIED <m> MS <wall time of the loop> SIGS_PER_S <rate>
// Exit status 0 when m == n == COUNT, 1 otherwise (never a crash).
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Collections;

public final class SealLoop {
    private SealLoop() { }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SealLoop CONFIG PIN COUNT");
            System.exit(2);
        }
        int count = Integer.parseInt(args[2]);
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray()); // the one and only login
        String signAlias = null;
        for (String alias : Collections.list(ks.aliases())) {
            boolean key = ks.isKeyEntry(alias);
            System.out.println("ENTRY " + alias + " " + (key ? "PrivateKeyEntry" : "other"));
            if (key && alias.endsWith("SIGN0")) {
                signAlias = alias;
            }
        }
        if (signAlias == null) {
            System.out.println("SIGNED 0 VERIFIED 0 no <VKN>SIGN0 key entry");
            System.exit(1);
        }
        int[] done = loop(p, ks, signAlias, count);
        System.exit(done[0] == count && done[1] == count ? 0 : 1);
    }

    // An invoice hash: SHA-256 of a small synthetic UBL-like invoice.
    private static byte[] invoiceHash(MessageDigest sha256, int i) {
        String inv = "<Invoice><ID>TST2024" + String.format("%09d", i) + "</ID>"
            + "<IssueDate>2024-01-01</IssueDate><Payable>" + (100 + i) + ".00 TRY</Payable></Invoice>";
        return sha256.digest(inv.getBytes(StandardCharsets.UTF_8));
    }

    private static int[] loop(Provider p, KeyStore ks, String alias, int count) throws Exception {
        PrivateKey key = (PrivateKey) ks.getKey(alias, null);
        X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
        PublicKey pub = cert.getPublicKey();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        Signature s = Signature.getInstance("SHA384withECDSA", p);
        Signature v = Signature.getInstance("SHA384withECDSA");
        if (v.getProvider() == p) {
            throw new IllegalStateException("verifier is the token provider");
        }
        int signed = 0;
        int verified = 0;
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < count; i++) {
                byte[] h = invoiceHash(sha256, i);
                s.initSign(key);
                s.update(h);
                byte[] sig = s.sign();
                signed++;
                v.initVerify(pub);
                v.update(h);
                if (v.verify(sig)) {
                    verified++;
                }
            }
        } catch (Exception e) {
            System.out.println("EXCEPTION after " + signed + ": " + e);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("SIGNED %d VERIFIED %d MS %.0f SIGS_PER_S %.1f%n", signed, verified, ms,
            ms > 0 ? signed * 1000.0 / ms : 0.0);
        return new int[] {signed, verified};
    }
}
