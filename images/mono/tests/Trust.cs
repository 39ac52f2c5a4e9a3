using System;
using System.Security.Cryptography.X509Certificates;

/// <summary>The trust store Mono's TLS (btls) takes with no SSL_CERT_FILE: it holds the roots of
/// the web (ISRG Root X1, say, whose chain builds only if the store holds it).</summary>
public static class Trust
{
    public static void Main()
    {
        var root = new X509Certificate2("/tests/isrg-root-x1.pem");
        var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Console.WriteLine(chain.Build(root) ? "trust store loaded" : "trust store empty");
    }
}
