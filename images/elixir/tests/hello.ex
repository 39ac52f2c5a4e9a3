defmodule Hello do
  def main do
    {:ok, %File.Stat{uid: uid}} = File.stat("/proc/self")
    IO.puts("hello from elixir as uid #{uid}")
  end
end
