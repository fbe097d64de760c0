import type { ToolDefinition } from '../tool.js';
import { calculator } from './calculator.js';
import { currentTime } from './current-time.js';

export const builtinTools: ToolDefinition[] = [currentTime, calculator];
