/* Included by jre.Dockerfile.j2 (written into the closure stage, run there with the JDK's java):
 * writes DIR/java/util/ImmutableCollections.class, the JDK's own with its read of the clock, which
 * seeds the iteration order of immutable sets, replaced by 0. Given to jlink's JVM alone
 * (-J--patch-module=java.base=DIR), on JDKs whose clock faketime does not reach; the image jlink
 * writes takes java.base from the JDK's modules, not from this copy.
 * Uses the JDK's internal ASM (JDK 11 to 21). */
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import jdk.internal.org.objectweb.asm.ClassReader;
import jdk.internal.org.objectweb.asm.ClassVisitor;
import jdk.internal.org.objectweb.asm.ClassWriter;
import jdk.internal.org.objectweb.asm.MethodVisitor;
import jdk.internal.org.objectweb.asm.Opcodes;

public class UnsaltedSets {
    public static void main(String[] args) throws Exception {
        String name = "java/util/ImmutableCollections.class";
        ClassReader reader = new ClassReader(Object.class.getModule().getResourceAsStream(name).readAllBytes());
        ClassWriter writer = new ClassWriter(reader, 0);
        int[] replaced = {0};
        reader.accept(new ClassVisitor(Opcodes.ASM6, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String method, String descriptor, String signature, String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM6, super.visitMethod(access, method, descriptor, signature, exceptions)) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String called, String type, boolean itf) {
                        if (owner.equals("java/lang/System") && called.equals("nanoTime")) {
                            replaced[0]++;
                            super.visitInsn(Opcodes.LCONST_0);
                        } else {
                            super.visitMethodInsn(opcode, owner, called, type, itf);
                        }
                    }
                };
            }
        }, 0);
        if (replaced[0] == 0) {
            throw new IllegalStateException(name + " reads no clock (System.nanoTime): nothing to replace");
        }
        Path out = Paths.get(args[0], name);
        Files.createDirectories(out.getParent());
        Files.write(out, writer.toByteArray());
    }
}
