// Reads a token store with ACE's TokenStoreReader and recomputes each entry's round value with
// ACE's ProofValidator from the file digest given for its identifier.
// Usage: java AceCheck <token store> <digests file: "identifier<TAB>sha256 hex" per line>
// Prints "identifier<TAB>round<TAB>round value hex" per entry; on a read error prints
// "ERROR <message>" and exits 1.
// Or: java AceCheck tree <link hex> <leaf hex>... prints the root of ACE's HashTreeBuilder
// (SHA-256, order 2) over the leaves, linked to <link>, as WitnessBean.publishWitness and
// RoundProcessor.linkHashTree build it.
import edu.umiacs.ace.hashtree.HashTreeBuilder;
import edu.umiacs.ace.hashtree.ProofValidator;
import edu.umiacs.ace.token.TokenStoreEntry;
import edu.umiacs.ace.token.TokenStoreReader;
import edu.umiacs.ace.util.HashValue;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;

public class AceCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("tree")) {
            HashTreeBuilder b = new HashTreeBuilder(MessageDigest.getInstance("SHA-256"), 2);
            for (int i = 2; i < args.length; i++) b.add(HashValue.asBytes(args[i]));
            b.link(HashValue.asBytes(args[1]));
            System.out.println(HashValue.asHexString(b.build().getRootNode().getHash()));
            return;
        }
        Map<String, String> digests = new HashMap<>();
        for (String line : Files.readAllLines(Paths.get(args[1]))) {
            if (line.isEmpty()) continue;
            String[] p = line.split("\t");
            digests.put(p[0], p[1]);
        }
        try (FileInputStream in = new FileInputStream(args[0])) {
            for (TokenStoreEntry e : new TokenStoreReader(in)) {
                String id = e.getIdentifiers().get(0);
                byte[] root = new ProofValidator().rootHash(MessageDigest.getInstance("SHA-256"), e.getToken().getProof(), HashValue.asBytes(digests.get(id)));
                System.out.println(id + "\t" + e.getToken().getRound() + "\t" + HashValue.asHexString(root));
            }
        } catch (RuntimeException ex) {
            System.out.println("ERROR " + ex.getMessage());
            System.exit(1);
        }
    }
}
