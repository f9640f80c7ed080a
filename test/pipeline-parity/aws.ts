import { Extractor } from './types';

/** Reads the comparable view out of the Aws compiled definition. NOT IMPLEMENTED YET. */
export const extractAws: Extractor = () => {
  throw new Error('extractAws is not implemented yet');
};
