/**
 * The thinking or text step a run is streaming: raw deltas become storable
 * text (a surrogate pair split across deltas is joined, never stored half),
 * and the step is created with its first storable text, so a delta of
 * nothing storable makes no empty step.
 */
import type { StoredStep } from '../../entities/index.js';
import { SurrogateJoiner } from '../storable.js';

type TextStep = Extract<StoredStep, { type: 'thinking' | 'text' }>;

/** Storable text added to the step, at `offset` in its content. */
export interface TextAdded {
  step: TextStep;
  delta: string;
  offset: number;
}

export class OpenTextStep {
  private readonly joiner = new SurrogateJoiner();
  private step?: TextStep;

  /** `steps` is the run's list: the step is pushed there when it is created. */
  constructor(
    readonly type: 'thinking' | 'text',
    private readonly steps: StoredStep[],
    private readonly newId: () => string,
  ) {}

  take(raw: string): TextAdded | undefined {
    return this.add(this.joiner.take(raw));
  }

  /** The text held back at the end (half a surrogate pair), made storable. */
  close(): TextAdded | undefined {
    return this.add(this.joiner.flush());
  }

  private add(delta: string): TextAdded | undefined {
    if (delta.length === 0) return undefined;
    if (!this.step) {
      this.step = { type: this.type, id: this.newId(), index: this.steps.length, seq: 0, content: '' };
      this.steps.push(this.step);
    }
    const offset = this.step.content.length;
    this.step.content += delta;
    return { step: this.step, delta, offset };
  }
}
