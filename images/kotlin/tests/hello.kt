import java.io.File

fun uid(): String =
    File("/proc/self/status").readLines().first { it.startsWith("Uid:") }.split(Regex("\\s+"))[1]

data class Bird(val name: String, val eggs: Int)

fun main() {
    val birds = listOf(Bird("wren", 5), Bird("robin", 4), Bird("tit", 9))
    val eggs = birds.filter { it.name.length > 3 }.sumBy { it.eggs }
    println("hello from kotlin as uid ${uid()}, ${birds.maxBy { it.eggs }?.name} lays most, $eggs eggs in wren+robin")
}
