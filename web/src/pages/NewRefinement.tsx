/** New refinement: an image (file or URL), what to change, the descriptions and the aspects to keep. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiProblem, type Limits } from '../api';
import { RefinerHints } from '../components/RefinerHints';
import { RequestFields, type FieldIds } from '../components/RequestFields';
import { describedBy, FieldError, TextField } from '../components/TextField';
import { navigate } from '../router';
import { check, fromProblem, type Draft, type Errors } from '../validation';

const FIELD_IDS: FieldIds = {
  image: 'image',
  originalImageUrl: 'image-url',
  refinementPrompt: 'prompt',
  logoDescription: 'logo',
  themeDescription: 'theme',
  preserveAspects: 'aspects',
};
const FIELD_NAMES: Record<string, string> = {
  image: 'Image file',
  originalImageUrl: 'Image address',
  refinementPrompt: 'What to change',
  logoDescription: 'Logo description',
  themeDescription: 'Theme description',
  preserveAspects: 'Keep unchanged',
  form: 'Request',
};

export function NewRefinement() {
  const [limits, setLimits] = useState<Limits | undefined>();
  const [draft, setDraft] = useState<Draft>({ source: 'file', file: null, url: '', refinementPrompt: '', logoDescription: '', themeDescription: '', preserveAspects: [] });
  const [errors, setErrors] = useState<Errors>({});
  const [preview, setPreview] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api.limits().then(setLimits, (err) => setErrors({ form: `Could not load the gateway's limits: ${String(err)}` }));
  }, []);
  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key === 'file' ? 'image' : key === 'url' ? 'originalImageUrl' : key]: undefined }));
  };
  const chooseFile = (file: File | null) => {
    set('file', file);
    setPreview(file ? URL.createObjectURL(file) : undefined);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!limits) return;
    const found = check(draft, limits);
    if (Object.keys(found).length > 0) return show(found);
    setBusy(true);
    try {
      const fields = { refinementPrompt: draft.refinementPrompt, logoDescription: draft.logoDescription, themeDescription: draft.themeDescription };
      let started;
      if (draft.source === 'file') {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.set(name, value);
        for (const aspect of draft.preserveAspects) form.append('preserveAspects', aspect);
        form.set('image', draft.file!, draft.file!.name);
        started = await api.start(form);
      } else {
        started = await api.start({ ...fields, originalImageUrl: draft.url.trim(), ...(draft.preserveAspects.length ? { preserveAspects: draft.preserveAspects } : {}) });
      }
      navigate(`/refinements/${encodeURIComponent(started.taskId)}`);
    } catch (err) {
      show(err instanceof ApiProblem ? fromProblem(err.status, err.title, err.detail, err.errors) : { form: String(err) });
    } finally {
      setBusy(false);
    }
  };
  const show = (found: Errors) => {
    setErrors(found);
    // Focus the summary so the errors are read out, and each links to its field.
    requestAnimationFrame(() => summary.current?.focus());
  };

  const listed = Object.entries(errors).filter(([, v]) => v);

  return (
    <section>
      <h1 tabIndex={-1}>New refinement</h1>
      {listed.length > 0 && (
        <div class="error-summary" role="alert" tabIndex={-1} ref={summary} aria-labelledby="error-summary-title">
          <h2 id="error-summary-title">{listed.length === 1 ? 'One thing to fix' : `${listed.length} things to fix`}</h2>
          <ul>
            {listed.map(([key, message]) => (
              <li key={key}>
                {FIELD_IDS[key] ? (
                  <a href={`#${FIELD_IDS[key]}`} onClick={(e) => (e.preventDefault(), document.getElementById(FIELD_IDS[key]!)?.focus())}>
                    {FIELD_NAMES[key]}: {message}
                  </a>
                ) : (
                  `${FIELD_NAMES[key]}: ${message}`
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      <form onSubmit={submit} noValidate class="refine-form">
        <fieldset>
          <legend>Original image</legend>
          <div class="segmented" role="radiogroup" aria-label="Where the image comes from">
            <label>
              <input type="radio" name="source" checked={draft.source === 'file'} onChange={() => set('source', 'file')} /> Upload a file
            </label>
            <label>
              <input type="radio" name="source" checked={draft.source === 'url'} onChange={() => set('source', 'url')} /> Link to an image
            </label>
          </div>
          {draft.source === 'file' ? (
            <div
              class={`drop ${dragging ? 'dragging' : ''}`}
              onDragOver={(e) => (e.preventDefault(), setDragging(true))}
              onDragLeave={() => setDragging(false)}
              onDrop={(e) => {
                e.preventDefault();
                setDragging(false);
                chooseFile(e.dataTransfer?.files[0] ?? null);
              }}
            >
              <label for="image">Image file</label>
              <p class="hint" id="image-hint">
                Drop it here or choose it.{' '}
                {limits && `PNG, JPEG or WebP, up to ${Math.floor(limits.uploadMaxBytes / 1024 / 1024)} MiB.`}
              </p>
              <input
                id="image"
                type="file"
                accept={limits?.imageTypes.join(',') ?? 'image/*'}
                aria-describedby={describedBy(FIELD_IDS.image, errors.image, 'image-hint')}
                aria-invalid={errors.image ? true : undefined}
                onChange={(e) => chooseFile(e.currentTarget.files?.[0] ?? null)}
              />
              {preview && <img class="preview" src={preview} alt="Preview of the chosen image" onError={() => setPreview(undefined)} />}
              <FieldError id={FIELD_IDS.image} error={errors.image} />
            </div>
          ) : (
            <TextField
              id={FIELD_IDS.originalImageUrl}
              label="Image address"
              hint="An http(s) address the worker downloads the image from."
              url
              value={draft.url}
              error={errors.originalImageUrl}
              onInput={(value) => set('url', value)}
            />
          )}
        </fieldset>
        <RequestFields
          ids={FIELD_IDS}
          draft={draft}
          errors={errors}
          prompt={{
            label: 'What to change',
            hint: (
              <>
                For example: “Make it more autumn-themed with orange and red”.
                <RefinerHints refiner={limits?.refiner} />
              </>
            ),
            rows: 3,
          }}
          onText={(key, value) => set(key, value)}
          onAspects={(values) => set('preserveAspects', values)}
        />
        <button type="submit" disabled={busy || !limits}>
          {busy ? 'Starting…' : 'Start refinement'}
        </button>
      </form>
    </section>
  );
}
