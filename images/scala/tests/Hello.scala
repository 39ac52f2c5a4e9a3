import scala.io.Source

case class Bird(name: String, eggs: Int)

object Hello {
  def uid: String =
    Source.fromFile("/proc/self/status").getLines().find(_.startsWith("Uid:")).map(_.split("\\s+")(1)).getOrElse("?")

  def main(args: Array[String]): Unit = {
    val birds = List(Bird("wren", 5), Bird("robin", 4), Bird("tit", 9))
    val eggs = birds.collect { case Bird(name, n) if name.length > 3 => n }.sum
    println(s"hello from scala as uid $uid, ${birds.maxBy(_.eggs).name} lays most, $eggs eggs in wren+robin")
  }
}
