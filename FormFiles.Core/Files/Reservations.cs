using System.Text;
using Azure;
using Azure.Data.Tables;
using FormFiles.Api;
using FormFiles.Auth;
using FormFiles.Quota;
using FormFiles.Storage;
using FormFiles.Tasks;
using FormFiles.Templates;
using FormFiles.Usage;

using FormFiles.Telemetry;

namespace FormFiles.Files;

/// <summary>
/// <c>task/form/file/create</c>, the heart of the service (design §5, §6). Its checks run in the
/// documented order; then admission writes, in this order:
/// <list type="number">
/// <item>the pending-index row, so that whatever happens next, the sweep finds this file;</item>
/// <item>the file row with the field's unsubmitted-file counter and the task's file sequence, one
/// transaction conditional on the task row's ETag: this is what holds the six-file limit under any
/// concurrency and gives the file an id no other file of the task ever had;</item>
/// <item>the quota charge, one transaction conditional on the user row's ETag (see <see cref="QuotaLedger"/>).</item>
/// </list>
/// A request that loses at step 2 or 3 undoes its earlier steps before it answers 267 or 268; a
/// crash between steps leaves a reservation nobody holds credentials for, which the sweep deletes
/// when it expires, giving back its field slot and its quota.
/// </summary>
public sealed partial class Reservations(
    Tables tables, IdAllocator ids, TaskStore tasks, RecentTasks recentTasks, QuotaLedger quota, FileBlobs blobs, UsageMeter usage, FormFilesMetrics metrics,
    IOptions<FormFilesOptions> options, TimeProvider time, ILogger<Reservations> logger)
{
    public const int MaxUnsubmittedPerField = 6;
    public const int MaxMetadataBytes = 4096;

    /// <summary>How close to its expiry a reservation's charge may land before the create looks whether the sweep took the reservation.</summary>
    private static readonly TimeSpan ChargeMargin = TimeSpan.FromMinutes(1);

    /// <param name="uploadUrl">The multipart endpoint, from <see cref="UploadUrl"/>.</param>
    public async Task<ReservationView> CreateAsync(Caller caller, ReservationRequest request, Uri uploadUrl, CancellationToken cancellationToken)
    {
        var userId = caller.UserId;
        var (task, field, metadata) = await CheckAsync(userId, request, cancellationToken);
        var file = new FileEntity
        {
            UserId = userId,
            TaskId = task.Id,
            FieldId = field.Id,
            FormId = field.Id == Attachments.FieldId ? 0 : task.FormId!.Value,
            Type = field.Type == FieldTypes.File ? "file" : "image",
            ReservedSize = request.Size,
            Name = request.Filename,
            Metadata = metadata,
            Created = time.GetUtcNow(),
            LeaseId = Guid.NewGuid().ToString(),
            ApiKey = caller.KeyPrefix,
        };
        file.Expires = file.Created + options.Value.ReservationTtl;
        await blobs.ReadyToSignAsync(file.Expires, cancellationToken); // A key that cannot be had fails the create before it writes anything.
        var token = await AdmitAsync(task, file, cancellationToken);
        Lifecycle.Tag(userId, task.Id, file.Id);
        Reserved(logger, file.Id, task.Id, field.Id, file.ReservedSize);
        metrics.Reserved();
        usage.Reserved(userId, caller.KeyPrefix, file.ReservedSize);

        var blobName = FileBlobs.Name(userId, task.Id, file.Id);
        return new ReservationView(
            file.Id,
            file.Expires,
            uploadUrl,
            "file",
            new Dictionary<string, string> { ["token"] = token },
            await blobs.UploadSasAsync(blobName, file.Expires, cancellationToken),
            "PUT",
            new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob" });
    }

    /// <summary>
    /// The reservation an action asks for: <c>size</c>, <c>filename</c> and <c>metadata</c> read from its
    /// parameters (after the ids it read itself), answered as <c>{value: credentials}</c>.
    /// </summary>
    public async Task<ApiAnswer> AnswerAsync(Caller caller, ApiRequest request, long taskId, string fieldId, CancellationToken cancellationToken)
    {
        var p = request.Parameters;
        var size = p.RequiredInt64("size");
        var filename = p.OptionalString("filename");
        var reservation = await CreateAsync(
            caller,
            new ReservationRequest(taskId, fieldId, size, filename, () => p.OptionalObject("metadata")?.GetRawText()),
            UploadUrl(request.HttpContext.Request),
            cancellationToken);
        return ApiResults.Ok(new ValueResponse<ReservationView>(reservation));
    }

    /// <summary>The checks, on the remembered task row when there is one; an error found there is confirmed on a fresh read.</summary>
    private async Task<(TaskEntity Task, FormField Field, string? Metadata)> CheckAsync(long userId, ReservationRequest request, CancellationToken cancellationToken)
    {
        if (recentTasks.Get(userId, request.TaskId) is { } remembered)
        {
            try
            {
                var (field, metadata) = Check(remembered, request);
                return (remembered, field, metadata);
            }
            catch (ApiException)
            {
                // Perhaps only the remembered row is out of date: decide on a fresh one.
            }
        }

        var task = await LoadAsync(userId, request.TaskId, cancellationToken);
        var (checkedField, checkedMetadata) = Check(task, request);
        return (task, checkedField, checkedMetadata);
    }

    private async Task<TaskEntity> LoadAsync(long userId, long taskId, CancellationToken cancellationToken)
    {
        var task = await tasks.LoadAsync(userId, taskId, cancellationToken);
        recentTasks.Remember(task);
        return task;
    }

    /// <summary>201 → 231 → 255 → 271 → 7 → 267, as design §5 orders them.</summary>
    private (FormField Field, string? Metadata) Check(TaskEntity task, ReservationRequest request)
    {
        var field = FileField(task, request.FieldId);
        var max = MaxSize(field);
        if (request.Size > max)
            throw new ApiException(ErrorCode.FileTooLarge, $"File size is larger than the maximum allowed: field '{field.Id}' takes at most {max} bytes");
        if (request.Size <= 0)
            throw ApiException.InvalidParameter("size", "must be at least 1");
        if (request.Size < (field.MinFileSize ?? 0))
            throw ApiException.InvalidParameter("size", $"must be at least {field.MinFileSize} bytes for field '{field.Id}'");
        CheckFilename(request.Filename, field);
        var metadata = request.Metadata();
        if (metadata is not null && Encoding.UTF8.GetByteCount(metadata) > MaxMetadataBytes)
            throw ApiException.InvalidParameter("metadata", $"must take at most {MaxMetadataBytes} bytes as JSON");

        RequireRoom(task, field);
        return (field, metadata);
    }

    /// <summary>The largest file <paramref name="field"/> takes: its own maximum, within <c>FormFiles:MaxFileSize</c>.</summary>
    public long MaxSize(FormField field) => Math.Min(field.MaxFileSize ?? long.MaxValue, options.Value.MaxFileSize);

    /// <summary>201 (no form, no such field) → 231 (not a file-bearing field) → 255 (task closed); a task attachment needs no form.</summary>
    private static FormField FileField(TaskEntity task, string fieldId)
    {
        if (fieldId == Attachments.FieldId)
        {
            RequireOpen(task);
            return Attachments.Field;
        }

        if (task.FormId is null)
            throw new ApiException(ErrorCode.NotFound, "Not found in database: the task has no form");
        var field = task.FormField(fieldId)
                    ?? throw new ApiException(ErrorCode.NotFound, $"Not found in database: the form has no field '{fieldId}'");
        if (!field.HoldsFiles)
            throw new ApiException(ErrorCode.EntityTypeMismatch, $"Entity type mismatch: field '{field.Id}' is a {field.Type} field, not file, photo or signature");
        RequireOpen(task);
        return field;
    }

    private static void RequireOpen(TaskEntity task)
    {
        if (!TaskStatuses.AllowsFormChanges(task.Status))
            throw new ApiException(ErrorCode.InvalidTaskState, $"Invalid task state: the task is {task.Status}; files are added only while it is unassigned, assigned or arrived");
    }

    /// <summary>267 once the field has six unsubmitted files (the task six unattached attachments).</summary>
    private static void RequireRoom(TaskEntity task, FormField field)
    {
        if (task.UnsubmittedFiles(field.Id) >= MaxUnsubmittedPerField)
        {
            throw new ApiException(ErrorCode.TooManyEntities, field.Id == Attachments.FieldId
                ? $"Too many entities: task {task.Id} already has {MaxUnsubmittedPerField} unattached attachments"
                : $"Too many entities: field '{field.Id}' already has {MaxUnsubmittedPerField} unsubmitted files");
        }
    }

    private static void CheckFilename(string? filename, FormField field)
    {
        if (filename is null)
            return;
        if (!Filenames.IsValid(filename))
            throw ApiException.InvalidParameter("filename", Filenames.Rule);
        if (field.AllowedExtensions is { } allowed)
        {
            if (!allowed.Contains(Filenames.Extension(filename) ?? string.Empty))
                throw ApiException.InvalidParameter("filename", $"must end in one of .{string.Join(", .", allowed)} for field '{field.Id}'");
        }
    }

    /// <summary>
    /// Index row, then file row with the task row, then quota. The file's id is the task's next file
    /// sequence (<see cref="TaskEntity.FileSequence"/>) in the task's blocks of ids (<see cref="FileIds"/>), taken
    /// in the same transaction that counts the field's slot; after a clash with a concurrent reservation of the
    /// same task, a later, spread one. A sequence past the task's blocks draws a further one first.
    /// </summary>
    /// <returns>The multipart upload token (only its digest is stored).</returns>
    private async Task<string> AdmitAsync(TaskEntity task, FileEntity file, CancellationToken cancellationToken)
    {
        PendingEntity? pending = null;
        var token = string.Empty;
        var clashes = 0;
        (long Number, int Index)? drawn = null; // A further block this reservation drew for the task.
        try
        {
            await Contention.RetryAsync(async () =>
            {
                RequireRoom(task, FileField(task, file.FieldId));
                if (time.GetUtcNow() >= file.Expires)
                    throw new StorageContentionException("Storage was too slow: the reservation expired before it was made");
                var sequence = NextSequence(task.FileSequence, clashes);
                if (sequence > FileIds.MaxPerTask)
                    throw new ApiException(ErrorCode.TooManyEntities, $"Too many entities: task {task.Id} has had the most files a task can have ({FileIds.MaxPerTask})");
                var index = FileIds.IndexOf(sequence);
                if (index > 0 && index != task.FileBlockIndex && drawn?.Index != index)
                    drawn = (await ids.DrawBlockAsync(tables, task.Id, index, cancellationToken), index);
                var block = index == 0 ? task.Id : index == task.FileBlockIndex ? task.FileBlock : drawn!.Value.Number;
                if (pending?.FileId != FileIds.Compose(block, sequence))
                {
                    await WithdrawAsync(pending, cancellationToken);
                    pending = null;
                    file.Id = FileIds.Compose(block, sequence);
                    file.PartitionKey = task.PartitionKey;
                    file.RowKey = FileEntity.Row(file.Id);
                    (token, file.TokenDigest) = UploadTokens.Create(file.Id, file.Expires);
                    var indexed = PendingEntity.For(file, file.Expires);
                    if (!await tables.Pending.TryAddAsync(indexed, cancellationToken))
                    {
                        // A concurrent reservation of this task drew the same id: draw from further on, on the task as it is now.
                        clashes++;
                        task = await LoadAsync(file.UserId, file.TaskId, cancellationToken);
                        return false;
                    }

                    pending = indexed;
                }

                var counted = task.Clone(); // The caller's row stays as read if this attempt fails.
                counted.CountUnsubmitted(file.FieldId, +1);
                counted.FileSequence = Math.Max(task.FileSequence, sequence);
                if (index > counted.FileBlockIndex)
                    (counted.FileBlock, counted.FileBlockIndex) = (block, index);
                if (await tables.Tasks.TrySubmitAsync(
                        [new(TableTransactionActionType.UpdateReplace, counted, counted.ETag), new(TableTransactionActionType.Add, file)], file, cancellationToken))
                {
                    recentTasks.Remember(counted);
                    return true;
                }

                // Another request changed the task first (often: took a slot on this field), or it is gone. Check again.
                task = await LoadAsync(file.UserId, file.TaskId, cancellationToken);
                return false;
            }, cancellationToken);
        }
        catch (ApiException)
        {
            // The field filled up, the form went or the task closed meanwhile: no index row is left behind. (After a
            // storage failure the row stays: the file row may have landed, and the sweep settles whichever it is.)
            await WithdrawAsync(pending, CancellationToken.None);
            throw;
        }

        // A reservation that expired while it was being made is the sweep's: its charge is not taken, or given back.
        if (time.GetUtcNow() >= file.Expires)
            throw new StorageContentionException("Storage was too slow: the reservation expired before it was charged");
        if (await quota.TryChargeAsync(file.UserId, file.Id, file.ReservedSize, cancellationToken))
        {
            if (time.GetUtcNow() < file.Expires - ChargeMargin)
                return token;
            // The charge took so long that the sweep may have settled the reservation before it landed: look, and give it back if so.
            if (await tables.FindFileAsync(file.TaskId, file.Id, cancellationToken) is { AwaitsUpload: true } still && time.GetUtcNow() < still.Expires)
                return token;
            await quota.ReleaseAsync(file.UserId, file.Id, cancellationToken);
            throw new StorageContentionException("Storage was too slow: the reservation expired before it was charged");
        }

        await UndoInsertAsync(file, cancellationToken);
        await WithdrawAsync(pending, cancellationToken);
        throw new ApiException(ErrorCode.OverQuota, "File cannot be created due to quota violation");
    }

    /// <summary>
    /// The sequence to try after <paramref name="clashes"/> clashes with concurrent reservations of the task: the
    /// next one; after the first clash a random one left in the same block of ids (no further block to draw);
    /// after more, a wider spread.
    /// </summary>
    private static long NextSequence(long last, int clashes)
    {
        var next = last + 1;
        var room = FileIds.BlockSize - (int)((next - 1) % FileIds.BlockSize);
        return next + clashes switch
        {
            0 => 0,
            1 => Random.Shared.Next(room),
            _ => Random.Shared.Next(16 * clashes),
        };
    }

    /// <summary>Deletes this request's own index row (as it wrote it).</summary>
    private async Task WithdrawAsync(PendingEntity? pending, CancellationToken cancellationToken)
    {
        if (pending is null)
            return;
        try
        {
            await tables.Pending.DeleteEntityAsync(pending.PartitionKey, pending.RowKey, pending.ETag, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // The sweep rewrote it meanwhile; it settles it.
        }
        catch (Exception e) when (StorageFaults.IsStorageFailure(e))
        {
            // The sweep finds the row without a file (or with a deleted one) and settles it.
        }
    }

    /// <summary>Takes the file row out again with its slot; done once the row is gone (also when a retry finds its own delete landed).</summary>
    private Task UndoInsertAsync(FileEntity file, CancellationToken cancellationToken) =>
        Contention.RetryAsync(async () =>
        {
            if (await tables.FindFileAsync(file.TaskId, file.Id, cancellationToken) is not { } row)
                return true;
            var task = await tasks.LoadAsync(file.UserId, file.TaskId, cancellationToken);
            task.CountUnsubmitted(file.FieldId, -1);
            try
            {
                await tables.Tasks.SubmitTransactionAsync(
                    [new(TableTransactionActionType.UpdateReplace, task, task.ETag), new(TableTransactionActionType.Delete, row, row.ETag)], cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
            {
                return false; // The task changed meanwhile, or this undo landed already: look again.
            }
        }, cancellationToken);

    /// <summary>Where the multipart upload goes (<see cref="ApiRoutes.PublicRoot"/>).</summary>
    public Uri UploadUrl(HttpRequest request) =>
        new(ApiRoutes.PublicRoot(request, options.Value.PublicBaseUrl), $"{ApiRoutes.Prefix}/task/form/file/upload");
}

public sealed partial class Reservations
{
    [LoggerMessage(EventId = 1900, Level = LogLevel.Information, Message = "Reserved file {FileId} of task {TaskId} on field {FieldId}: {ReservedSize} bytes")]
    private static partial void Reserved(ILogger logger, long fileId, long taskId, string fieldId, long reservedSize);
}

/// <summary>
/// What <c>task/form/file/create</c> asks for, its types already checked. <see cref="Metadata"/>
/// reads the metadata object's JSON text (7 when it is not an object); it runs only after the size
/// checks, where design §5 places it.
/// </summary>
public sealed record ReservationRequest(long TaskId, string FieldId, long Size, string? Filename, Func<string?> Metadata);

/// <summary>The upload credentials: Navixy's multipart ones and the direct SAS ones.</summary>
public sealed record ReservationView(
    long FileId,
    DateTimeOffset Expires,
    Uri Url,
    string FileFieldName,
    IReadOnlyDictionary<string, string> Fields,
    Uri SasUrl,
    string SasMethod,
    IReadOnlyDictionary<string, string> SasHeaders);
