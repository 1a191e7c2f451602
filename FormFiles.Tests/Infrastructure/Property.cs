using System.Diagnostics;
using System.Globalization;
using CsCheck;

namespace FormFiles.Tests.Infrastructure;

/// <summary>
/// Property tests that nothing random decides: a test's cases come from its recorded seed (one fixed CsCheck
/// PCG stream, case after case), after its pinned regressions, so every run sends the same requests. Only
/// when <c>FORMFILES_PROPERTY_RANDOM</c> names a count (never in CI) does it also run that many cases from a
/// fresh random seed, to explore. Any failing case names its own seed: pin it as a regression, fix the
/// cause, and rotate the recorded seed on purpose when the generator changes.
/// </summary>
public static class Property
{
    /// <summary>The environment variable that adds a random exploration of that many cases.</summary>
    public const string RandomCases = "FORMFILES_PROPERTY_RANDOM";

    /// <param name="gen">What to generate.</param>
    /// <param name="assert">The property, for one case.</param>
    /// <param name="seed">The recorded seed (a CsCheck seed string) of the fixed cases.</param>
    /// <param name="cases">How many fixed cases to run from <paramref name="seed"/>.</param>
    /// <param name="regressions">Seeds of single cases that once failed, run first.</param>
    public static async Task CheckAsync<T>(this Gen<T> gen, Func<T, Task> assert, string seed, int cases, params string[] regressions)
    {
        foreach (var regression in regressions)
            await RunAsync(gen, assert, PCG.Parse(regression), 1, "pinned regression");
        await RunAsync(gen, assert, PCG.Parse(seed), cases, "fixed case");
        if (int.TryParse(Environment.GetEnvironmentVariable(RandomCases), NumberStyles.None, CultureInfo.InvariantCulture, out var explore) && explore > 0)
            await RunAsync(gen, assert, new PCG((uint)Environment.ProcessId, (ulong)Stopwatch.GetTimestamp()), explore, "random case");
    }

    private static async Task RunAsync<T>(Gen<T> gen, Func<T, Task> assert, PCG pcg, int cases, string kind)
    {
        for (var i = 0; i < cases; i++)
        {
            var caseSeed = pcg.ToString();
            var input = gen.Generate(pcg, null, out _);
            try
            {
                await assert(input);
            }
            catch (Exception e)
            {
                throw new PropertyException($"{kind} {i} failed; its seed is \"{caseSeed}\" (pin it among the test's regressions): {Describe(input)}", e);
            }
        }
    }

    private static string Describe<T>(T input)
    {
        var text = input is System.Runtime.CompilerServices.ITuple tuple
            ? "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Describe(tuple[i]))) + ")"
            : input is System.Collections.IEnumerable items and not string
                ? "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]"
                : input?.ToString() ?? "null";
        return text.Length <= 2000 ? text : text[..2000] + "…";
    }

    private sealed class PropertyException(string message, Exception inner) : Exception(message, inner);
}
