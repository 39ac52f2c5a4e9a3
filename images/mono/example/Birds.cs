using System;
using System.Linq;

public static class Birds
{
    public static void Main()
    {
        var birds = new[] { "wren", "tit", "robin" }.OrderBy(b => b, StringComparer.Ordinal).ToArray();
        Console.WriteLine($"{birds.Length} birds: {string.Join(", ", birds)}");
    }
}
