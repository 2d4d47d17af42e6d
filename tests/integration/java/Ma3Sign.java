// An MA3-style client for akis-pkcs11 (issue 13): drives the module the way
// TÜBİTAK's MA3 API does, through the JDK's low-level PKCS#11 wrapper rather
// than the SunPKCS11 provider:
//   - PKCS11.getInstance(lib, "C_GetFunctionList", null, false), i.e.
//     C_Initialize(NULL);
//   - the slot whose trimmed slotDescription is contained in the PC/SC
//     reader name;
//   - C_OpenSession, C_Login(CKU_USER) once;
//   - every certificate found again by CKA_SERIAL_NUMBER (DER INTEGER built
//     from the certificate it read), then by CKA_ID, and the private key with
//     the same CKA_ID;
//   - five signatures in a row per key and mechanism, each a single-part
//     C_SignInit + C_Sign (the wrapper's C_Sign passes a 4,096-byte buffer,
//     no length query first): RSA with CKM_SHA256_RSA_PKCS and with
//     CKM_RSA_PKCS over a DigestInfo built here; EC with CKM_ECDSA over a
//     SHA-256 and a SHA-384 hash computed here;
//   - every signature verified in Java with the certificate's public key.
// Keys with CKA_ALWAYS_AUTHENTICATE = TRUE are used first, so that a refused
// signature is followed by other keys' signatures in the same session.
//
//   java --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED \
//        -cp DIR Ma3Sign MODULE READER PIN
// Output, one line each (fields separated by one space):
//   SLOT <slot id> <slot description>
//   LOGIN ok | LOGIN fail <CKR>
//   KEY <id hex> <RSA|EC> aa=<0|1> bySerial=<ok|fail> byId=<ok|fail>
//   SIG <id hex> <mechanism> <n> ok
//   SIG <id hex> <mechanism> <n> fail <C_SignInit|C_Sign|verify> <CKR or reason>
//   DONE keys=<k> ok=<signatures verified> fail=<signatures failed>
// Exit status 0 when every signature verified, 1 when any failed, 2 on a
// setup error (no slot, no login, no key).
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_SLOT_INFO;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

public final class Ma3Sign {
    private static final long CKA_CLASS = 0x0L;
    private static final long CKA_VALUE = 0x11L;
    private static final long CKA_SERIAL_NUMBER = 0x82L;
    private static final long CKA_KEY_TYPE = 0x100L;
    private static final long CKA_ID = 0x102L;
    private static final long CKA_ALWAYS_AUTHENTICATE = 0x202L;
    private static final long CKO_CERTIFICATE = 1L;
    private static final long CKO_PRIVATE_KEY = 3L;
    private static final long CKK_RSA = 0L;
    private static final long CKK_EC = 3L;
    private static final long CKM_RSA_PKCS = 0x1L;
    private static final long CKM_SHA256_RSA_PKCS = 0x40L;
    private static final long CKM_ECDSA = 0x1041L;
    private static final long CKU_USER = 1L;
    private static final long CKF_RW_SESSION = 0x2L;
    private static final long CKF_SERIAL_SESSION = 0x4L;
    private static final int ROUNDS = 5;
    // DER prefix of DigestInfo { sha256, NULL } (RFC 8017 §9.2 note 1)
    private static final byte[] SHA256_DIGESTINFO = HexFormat.of().parseHex(
        "3031300d060960864801650304020105000420");

    private final PKCS11 p11;
    private final long session;
    private final SecureRandom rnd = new SecureRandom();
    private int okCount;
    private int failCount;

    private Ma3Sign(PKCS11 p11, long session) {
        this.p11 = p11;
        this.session = session;
    }

    /** A token key with its certificate. */
    private static final class Key {
        byte[] id;
        long handle;
        long type;
        boolean alwaysAuth;
        X509Certificate cert;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Ma3Sign MODULE READER PIN");
            System.exit(2);
        }
        PKCS11 p11 = PKCS11.getInstance(args[0], "C_GetFunctionList", null, false);
        long slot = findSlot(p11, args[1]);
        if (slot < 0) {
            System.out.println("SLOT none for reader '" + args[1] + "'");
            System.exit(2);
        }
        long s = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
        try {
            p11.C_Login(s, CKU_USER, args[2].toCharArray());
            System.out.println("LOGIN ok");
        } catch (PKCS11Exception e) {
            System.out.println("LOGIN fail " + ckr(e));
            System.exit(2);
        }
        Ma3Sign m = new Ma3Sign(p11, s);
        List<Key> keys = m.findKeys();
        if (keys.isEmpty()) {
            System.out.println("DONE keys=0 ok=0 fail=0");
            System.exit(2);
        }
        for (Key k : keys) {
            m.signAll(k);
        }
        System.out.println("DONE keys=" + keys.size() + " ok=" + m.okCount + " fail=" + m.failCount);
        p11.C_Logout(s);
        p11.C_CloseSession(s);
        p11.C_Finalize(null);
        System.exit(m.failCount == 0 ? 0 : 1);
    }

    private static String ckr(PKCS11Exception e) {
        String msg = e.getMessage();
        return msg != null && msg.startsWith("CKR_") ? msg.split("[ :]")[0]
            : String.format("0x%08X", e.getErrorCode());
    }

    private static long findSlot(PKCS11 p11, String reader) throws PKCS11Exception {
        for (long slot : p11.C_GetSlotList(true)) {
            CK_SLOT_INFO info = p11.C_GetSlotInfo(slot);
            String desc = new String(info.slotDescription).trim();
            if (!desc.isEmpty() && reader.contains(desc)) {
                System.out.println("SLOT " + slot + " " + desc);
                return slot;
            }
        }
        return -1;
    }

    private long[] find(CK_ATTRIBUTE... template) throws PKCS11Exception {
        List<Long> out = new ArrayList<>();
        p11.C_FindObjectsInit(session, template);
        try {
            long[] batch;
            while ((batch = p11.C_FindObjects(session, 16)).length > 0) {
                for (long h : batch) {
                    out.add(h);
                }
            }
        } finally {
            p11.C_FindObjectsFinal(session);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private Object attr(long handle, long type) throws PKCS11Exception {
        CK_ATTRIBUTE[] t = { new CK_ATTRIBUTE(type) };
        p11.C_GetAttributeValue(session, handle, t);
        return t[0].pValue;
    }

    private static boolean bool(Object v) {
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        return v instanceof byte[] && ((byte[]) v).length > 0 && ((byte[]) v)[0] != 0;
    }

    private static long ulong(Object v) {
        return v instanceof Long ? (Long) v : -1L;
    }

    /** DER INTEGER of the certificate's serial number: what CKA_SERIAL_NUMBER holds. */
    private static byte[] derSerial(X509Certificate c) {
        byte[] v = c.getSerialNumber().toByteArray();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x02);
        if (v.length < 0x80) {
            b.write(v.length);
        } else {
            b.write(0x81);
            b.write(v.length);
        }
        b.writeBytes(v);
        return b.toByteArray();
    }

    private List<Key> findKeys() throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Key> aa = new ArrayList<>();
        List<Key> rest = new ArrayList<>();
        for (long h : find(new CK_ATTRIBUTE(CKA_CLASS, CKO_CERTIFICATE))) {
            byte[] der = (byte[]) attr(h, CKA_VALUE);
            Key k = new Key();
            k.cert = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
            long[] bySerial = find(new CK_ATTRIBUTE(CKA_CLASS, CKO_CERTIFICATE),
                new CK_ATTRIBUTE(CKA_SERIAL_NUMBER, derSerial(k.cert)));
            boolean serialOk = bySerial.length == 1
                && Arrays.equals((byte[]) attr(bySerial[0], CKA_VALUE), der);
            // MA3 takes CKA_ID from the object it found by serial; when that
            // search fails the key is still tried (and reported bySerial=fail)
            k.id = (byte[]) attr(serialOk ? bySerial[0] : h, CKA_ID);
            long[] byId = find(new CK_ATTRIBUTE(CKA_CLASS, CKO_CERTIFICATE), new CK_ATTRIBUTE(CKA_ID, k.id));
            boolean idOk = byId.length == 1 && Arrays.equals((byte[]) attr(byId[0], CKA_VALUE), der);
            long[] priv = find(new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_ID, k.id));
            if (priv.length != 1) {
                continue; // a CA certificate or one without a key
            }
            k.handle = priv[0];
            k.type = ulong(attr(k.handle, CKA_KEY_TYPE));
            k.alwaysAuth = bool(attr(k.handle, CKA_ALWAYS_AUTHENTICATE));
            System.out.println("KEY " + hex(k.id) + " " + (k.type == CKK_RSA ? "RSA" : k.type == CKK_EC ? "EC" : "?")
                + " aa=" + (k.alwaysAuth ? 1 : 0) + " bySerial=" + (serialOk ? "ok" : "fail")
                + " byId=" + (idOk ? "ok" : "fail"));
            if (!serialOk || !idOk) {
                failCount++;
            }
            (k.alwaysAuth ? aa : rest).add(k);
        }
        aa.addAll(rest);
        return aa;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private void signAll(Key k) throws Exception {
        if (k.type == CKK_RSA) {
            for (int n = 1; n <= ROUNDS; n++) {
                signOne(k, "CKM_SHA256_RSA_PKCS", n);
            }
            for (int n = 1; n <= ROUNDS; n++) {
                signOne(k, "CKM_RSA_PKCS", n);
            }
        } else if (k.type == CKK_EC) {
            for (int n = 1; n <= ROUNDS; n++) {
                signOne(k, "CKM_ECDSA/SHA-256", n);
            }
            for (int n = 1; n <= ROUNDS; n++) {
                signOne(k, "CKM_ECDSA/SHA-384", n);
            }
        } else {
            report(k, "?", 0, "fail key-type " + k.type);
        }
    }

    private void report(Key k, String mech, int n, String what) {
        System.out.println("SIG " + hex(k.id) + " " + mech + " " + n + " " + what);
        if (what.equals("ok")) {
            okCount++;
        } else {
            failCount++;
        }
    }

    /** One document: C_SignInit + C_Sign, then a software verification. */
    private void signOne(Key k, String mech, int n) throws Exception {
        byte[] doc = ("akis-pkcs11 MA3-style document " + n + " ").getBytes(StandardCharsets.UTF_8);
        byte[] pad = new byte[1000 + rnd.nextInt(1000)];
        rnd.nextBytes(pad);
        doc = concat(doc, pad);
        String hashAlg = mech.endsWith("SHA-384") ? "SHA-384" : "SHA-256";
        byte[] hash = MessageDigest.getInstance(hashAlg).digest(doc);
        long m;
        byte[] input;
        switch (mech) {
            case "CKM_SHA256_RSA_PKCS": m = CKM_SHA256_RSA_PKCS; input = doc; break;
            case "CKM_RSA_PKCS": m = CKM_RSA_PKCS; input = concat(SHA256_DIGESTINFO, hash); break;
            default: m = CKM_ECDSA; input = hash; break;
        }
        byte[] sig;
        try {
            p11.C_SignInit(session, new CK_MECHANISM(m), k.handle);
        } catch (PKCS11Exception e) {
            report(k, mech, n, "fail C_SignInit " + ckr(e));
            return;
        }
        try {
            sig = p11.C_Sign(session, input);
        } catch (PKCS11Exception e) {
            report(k, mech, n, "fail C_Sign " + ckr(e));
            return;
        }
        String why = verify(k, mech, hashAlg, doc, sig);
        report(k, mech, n, why == null ? "ok" : "fail verify " + why);
    }

    private static String verify(Key k, String mech, String hashAlg, byte[] doc, byte[] sig) throws Exception {
        Signature v;
        if (k.type == CKK_RSA) {
            v = Signature.getInstance("SHA256withRSA");
        } else {
            int size = (((ECPublicKey) k.cert.getPublicKey()).getParams().getCurve().getField().getFieldSize() + 7) / 8;
            if (sig.length != 2 * size) {
                return "raw-ecdsa-length-" + sig.length;
            }
            sig = rawToDer(sig);
            v = Signature.getInstance(hashAlg.replace("-", "") + "withECDSA");
        }
        v.initVerify(k.cert.getPublicKey());
        v.update(doc);
        return v.verify(sig) ? null : "signature-does-not-verify";
    }

    /** ECDSA r||s (as CKM_ECDSA returns it) → DER SEQUENCE { r, s } for Java's verifier. */
    private static byte[] rawToDer(byte[] raw) {
        int h = raw.length / 2;
        byte[] r = new BigInteger(1, Arrays.copyOfRange(raw, 0, h)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(raw, h, raw.length)).toByteArray();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int len = 2 + r.length + 2 + s.length;
        b.write(0x30);
        if (len >= 0x80) {
            b.write(0x81);
        }
        b.write(len);
        b.write(0x02);
        b.write(r.length);
        b.writeBytes(r);
        b.write(0x02);
        b.write(s.length);
        b.writeBytes(s);
        return b.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
