/**
 * Before and after: the two images side by side, and on top of each other with a slider that reveals
 * the refined one. An original given by URL lives on someone else's server: it is linked, not loaded,
 * so the page makes no third-party request.
 */
import { useState } from 'preact/hooks';

export function Compare({ original, refined }: { original: { url: string; uploaded: boolean } | null; refined: string }) {
  const [reveal, setReveal] = useState(50);
  const [failed, setFailed] = useState(false);
  const showOriginal = original?.uploaded && !failed;
  return (
    <div class="compare">
      <div class="side-by-side">
        <figure>
          {showOriginal ? (
            <img src={original.url} alt="Original image" onError={() => setFailed(true)} />
          ) : (
            <div class="placeholder">
              {original ? (
                <p>
                  The original is on another site:{' '}
                  <a href={original.url} rel="noreferrer noopener" target="_blank">
                    open the original
                  </a>
                  .
                </p>
              ) : (
                <p>The original is not available.</p>
              )}
            </div>
          )}
          <figcaption>Before</figcaption>
        </figure>
        <figure>
          <img src={refined} alt="Refined image" />
          <figcaption>After</figcaption>
        </figure>
      </div>
      {showOriginal && (
        <div class="overlay-block">
          <h3>Overlay</h3>
          <div class="overlay" aria-hidden="true">
            <img src={original.url} alt="" />
            <img src={refined} alt="" class="refined-layer" ref={(el) => {
              // Set through the DOM, not a style attribute: the page's CSP allows no inline styles.
              if (el) el.style.clipPath = `inset(0 ${100 - reveal}% 0 0)`;
            }} />
            <span class="divider" ref={(el) => {
              if (el) el.style.left = `${reveal}%`;
            }} />
          </div>
          <label for="reveal">Refined image shown: {reveal}%</label>
          <input id="reveal" type="range" min={0} max={100} value={reveal} onInput={(e) => setReveal(Number(e.currentTarget.value))} />
        </div>
      )}
    </div>
  );
}
