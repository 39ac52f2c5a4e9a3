object Birds {
  def main(args: Array[String]): Unit = {
    val birds = List("wren", "tit", "robin").sorted
    println(s"${birds.size} birds: ${birds.mkString(", ")}")
  }
}
