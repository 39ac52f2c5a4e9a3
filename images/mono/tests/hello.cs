using System;
using System.IO;
using System.Linq;

// The uid from /proc/self/status ("Uid:	real	effective	saved	fs"): mscorlib alone, no Mono.Posix.
class Hello
{
    static void Main()
    {
        string uid = File.ReadAllLines("/proc/self/status")
            .First(line => line.StartsWith("Uid:"))
            .Split(new[] { '\t', ' ' }, StringSplitOptions.RemoveEmptyEntries)[1];
        Console.WriteLine("hello from mono as uid " + uid);
    }
}
