import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.beans.BeanInfo;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.StringJoiner;
import javax.imageio.ImageIO;
import jdk.jfr.Recording;

/** What server apps and their libraries do with the JRE: each step prints "ok" or why not. */
public class ServerApp {
    /** A bean, as Spring and Jackson introspect them. */
    public static class Bird {
        private String name = "wren";
        private int wingspan = 15;

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public int getWingspan() { return wingspan; }
        public void setWingspan(int wingspan) { this.wingspan = wingspan; }
    }

    static String beans() throws Exception {
        BeanInfo info = Introspector.getBeanInfo(Bird.class, Object.class);
        StringJoiner names = new StringJoiner(", ");
        for (PropertyDescriptor property : info.getPropertyDescriptors()) {
            names.add(property.getName());
        }
        return "beans ok (" + names + ")";
    }

    /** Text drawn headlessly (fonts through fontconfig, FreeType, HarfBuzz), encoded as a PNG. */
    static String png() throws Exception {
        BufferedImage image = new BufferedImage(160, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 160, 40);
        g.setColor(Color.BLACK);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 24));
        g.drawString("birdhouse", 8, 30);
        g.dispose();
        int ink = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                if ((image.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    ink++;
                }
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", png)) {
            return "png: no PNG writer";
        }
        byte[] bytes = png.toByteArray();
        boolean signature = bytes.length > 8 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
        return ink > 200 && signature ? "png with text ok" : "png: " + ink + " pixels of ink, " + bytes.length + " bytes";
    }

    /** Month and day names from jdk.localedata (ASCII out: no locale decides how it prints). */
    static String germanDate() {
        String date = DateTimeFormatter.ofPattern("EEEE, d. MMMM yyyy", Locale.GERMAN).format(LocalDate.of(2024, 3, 1));
        return date.equals("Freitag, 1. M\u00e4rz 2024") ? "german date ok" : "german date: " + date.replace('\u00e4', 'a');
    }

    static String flightRecording() throws Exception {
        Path file = Files.createTempFile("birdhouse", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.CPULoad");
            recording.start();
            recording.stop();
            recording.dump(file);
        }
        long size = Files.size(file);
        Files.delete(file);
        return size > 0 ? "jfr ok" : "jfr: an empty recording";
    }

    public static void main(String[] args) throws Exception {
        System.out.println(beans() + ", " + png() + ", " + germanDate() + ", " + flightRecording());
    }
}
