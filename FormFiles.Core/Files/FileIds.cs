namespace FormFiles.Files;

/// <summary>
/// A file id carries its task: <c>task_id × 2^20 + n</c>, where n is the task's file sequence (1 to
/// 2^20 − 1). So any file id leads straight to the task partition that holds the file, with no
/// lookup row. Ids stay below 2^53 (exact in JavaScript) while task ids stay below 2^33.
/// </summary>
public static class FileIds
{
    public const int SequenceBits = 20;
    public const long MaxPerTask = (1L << SequenceBits) - 1;

    public static long Compose(long taskId, long sequence) => (taskId << SequenceBits) | sequence;

    public static long TaskOf(long fileId) => fileId >> SequenceBits;

    public static long SequenceOf(long fileId) => fileId & MaxPerTask;
}
