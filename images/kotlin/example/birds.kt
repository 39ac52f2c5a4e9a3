fun main() {
    val birds = listOf("wren", "tit", "robin").sorted()
    println("${birds.size} birds: ${birds.joinToString(", ")}")
}
