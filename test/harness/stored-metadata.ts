/** What storeImage records with a refined image for a refinement with everyday prompts. */
export function refinementMetadata(size: number): Record<string, unknown> {
  return {
    taskId: 'task-1',
    userId: 'user-1',
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
    originalImageUrl: 'https://images.example.com/concepts/fox.png',
    provider: 'local',
    notes: ['warmer palette applied'],
    width: size,
    height: size,
  };
}
