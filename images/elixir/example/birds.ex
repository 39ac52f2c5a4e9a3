defmodule Birds do
  def main do
    birds = Enum.sort(["wren", "tit", "robin"])
    IO.puts("#{length(birds)} birds: #{Enum.join(birds, ", ")}")
  end
end
