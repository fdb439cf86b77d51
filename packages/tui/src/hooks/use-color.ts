import { createContext, useContext } from 'react'

/** Whether the dashboard may use colours (false under NO_COLOR); marks and text carry the meaning either way. */
export const ColorContext = createContext(true)

/** The colour to pass to Ink, or undefined when colours are off. */
export function useColor(): (color: string) => string | undefined {
  const enabled = useContext(ColorContext)
  return (color) => (enabled ? color : undefined)
}
