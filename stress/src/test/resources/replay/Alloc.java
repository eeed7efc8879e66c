import java.util.*;
public class Alloc {
    public static void main(String[] a) throws Exception {
        List<byte[]> keep = new ArrayList<>();
        Thread[] ts = new Thread[3];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> { long s = 0; for (int i = 0; i < 20000; i++) { byte[] b = new byte[1 << (i % 16)]; s += b.length; } System.out.print(""); });
            ts[t].start();
        }
        for (int i = 0; i < 2000; i++) { keep.add(new byte[16384]); if (keep.size() > 500) keep.subList(0, 250).clear(); }
        for (Thread t : ts) t.join();
        System.gc();
    }
}
