import java.util.List;
import java.util.stream.Collectors;

public class Birds {
    public static void main(String[] args) {
        List<String> birds = List.of("wren", "tit", "robin").stream().sorted().collect(Collectors.toList());
        System.out.println(birds.size() + " birds: " + String.join(", ", birds));
    }
}
